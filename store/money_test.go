package store

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand"
	"sync"
	"testing"
)

func TestMoneyParsesDecimalsWithAtMostTwoPlaces(t *testing.T) {
	tests := []struct {
		in    string
		want  Money
		valid bool
	}{
		{"12.5", 1250, true},
		{"12.50", 1250, true},
		{"0.01", 1, true},
		{"12", 1200, true},
		{"0", 0, true},
		{"-3.25", -325, true}, // the type allows it; operations refuse it where it makes no sense
		{"999999999.99", 99999999999, true},
		{"1.234", 0, false},
		{"0.001", 0, false},
		{`"12.5"`, 0, false}, // money is a JSON number, never a string
		{"1e2", 0, false},
		{"1000000000", 100000000000, true}, // above MaxAmount, refused by the operations, not the decoder
		{"1000000000000000", 0, false},     // more digits than int64 hundredths keep exact
		{"true", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var m Money
			err := json.Unmarshal([]byte(tt.in), &m)
			if tt.valid != (err == nil) {
				t.Fatalf("Unmarshal(%s) error = %v, want valid=%v", tt.in, err, tt.valid)
			}
			if m != tt.want {
				t.Fatalf("Unmarshal(%s) = %d cents, want %d", tt.in, m, tt.want)
			}
		})
	}
}

func TestMoneyErrorNamesTheField(t *testing.T) {
	var in PaymentInput
	err := json.Unmarshal([]byte(`{"amount": 1.999}`), &in)
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || te.Field != "amount" {
		t.Fatalf("decoding a bad amount = %v, want a type error for field amount", err)
	}
}

func TestMoneyFormatsWithTwoPlaces(t *testing.T) {
	tests := []struct {
		in   Money
		want string
	}{{1250, "12.50"}, {5, "0.05"}, {0, "0.00"}, {-325, "-3.25"}, {100000, "1000.00"}}
	for _, tt := range tests {
		got, err := json.Marshal(tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("Marshal(%d) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestMoneyRoundTripsThroughJSON(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for range 500 {
		m := Money(rng.Int63n(2*99999999999) - 99999999999)
		raw, _ := json.Marshal(m)
		var back Money
		if err := json.Unmarshal(raw, &back); err != nil || back != m {
			t.Fatalf("%d -> %s -> %d, %v", m, raw, back, err)
		}
	}
}

func TestQuantityAndPercentDecimals(t *testing.T) {
	quantities := []struct {
		in   string
		want Quantity
		out  string
	}{{"1", 100, "1"}, {"1.5", 150, "1.5"}, {"0.25", 25, "0.25"}, {"2.50", 250, "2.5"}}
	for _, tt := range quantities {
		var q Quantity
		if err := json.Unmarshal([]byte(tt.in), &q); err != nil || q != tt.want {
			t.Errorf("Quantity %s = %d, %v; want %d", tt.in, q, err, tt.want)
		}
		if out, _ := json.Marshal(q); string(out) != tt.out {
			t.Errorf("Quantity %d marshals as %s, want %s", q, out, tt.out)
		}
	}
	var q Quantity
	if err := json.Unmarshal([]byte("0.125"), &q); err == nil {
		t.Error("a quantity with three places was accepted")
	}

	percents := []struct {
		in   string
		want Percent
		out  string
	}{{"8.875", 8875, "8.875"}, {"20", 20000, "20"}, {"7.5", 7500, "7.5"}, {"0.001", 1, "0.001"}}
	for _, tt := range percents {
		var p Percent
		if err := json.Unmarshal([]byte(tt.in), &p); err != nil || p != tt.want {
			t.Errorf("Percent %s = %d, %v; want %d", tt.in, p, err, tt.want)
		}
		if out, _ := json.Marshal(p); string(out) != tt.out {
			t.Errorf("Percent %d marshals as %s, want %s", p, out, tt.out)
		}
	}
	var p Percent
	if err := json.Unmarshal([]byte("8.8755"), &p); err == nil {
		t.Error("a percent with four places was accepted")
	}
}

func TestRoundingIsHalfAwayFromZero(t *testing.T) {
	percent := []struct {
		amount Money
		rate   int64
		want   Money
	}{
		{100, 500, 1},     // 0.5 cent rounds up
		{100, 499, 0},     // 0.499 cent rounds down
		{-100, 500, -1},   // and away from zero below it
		{4207, 8875, 373}, // 373.37125
		{10000, 20000, 2000},
		{1, 50000, 1}, // 0.5
	}
	for _, tt := range percent {
		if got := percentOf(tt.amount, tt.rate); got != tt.want {
			t.Errorf("percentOf(%d, %d) = %d, want %d", tt.amount, tt.rate, got, tt.want)
		}
	}
	mul := []struct {
		price Money
		qty   Quantity
		want  Money
	}{
		{1999, 200, 3998},
		{333, 33, 110}, // 109.89
		{1, 50, 1},     // 0.5
		{1, 49, 0},
		{333, 150, 500}, // 499.5
	}
	for _, tt := range mul {
		if got := mulRound(tt.price, tt.qty); got != tt.want {
			t.Errorf("mulRound(%d, %d) = %d, want %d", tt.price, tt.qty, got, tt.want)
		}
	}
}

func TestTicketTotalsAreExactWithTaxOnTaxableLines(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	if _, err := s.UpdateShop(ctx, ShopPatch{TaxRate: ptr(Percent(8875))}); err != nil {
		t.Fatal(err)
	}
	_, tk := ticketFor(t, s, "Tax Payer")
	if tk.TaxRate != 8875 {
		t.Fatalf("a new ticket takes the shop's tax rate: got %d, want 8875", tk.TaxRate)
	}
	// The shop's rate applies to new tickets only.
	if _, err := s.UpdateShop(ctx, ShopPatch{TaxRate: ptr(Percent(20000))}); err != nil {
		t.Fatal(err)
	}
	lines := []LineItemInput{
		{Kind: "part", Description: "Screen", Quantity: ptr(Quantity(200)), UnitPrice: money(t, "19.99")},
		{Kind: "service", Description: "Labour", Quantity: ptr(Quantity(150)), UnitPrice: money(t, "45"), Taxable: ptr(false)},
		{Description: "Adhesive", UnitPrice: money(t, "0.99")},
		{Description: "Cable", Quantity: ptr(Quantity(33)), UnitPrice: money(t, "3.33")},
	}
	wantLineTotals := []Money{3998, 6750, 99, 110}
	var got Ticket
	for i, in := range lines {
		li, ticket, err := s.AddLineItem(ctx, tk.ID, in)
		if err != nil {
			t.Fatalf("AddLineItem %d: %v", i, err)
		}
		if li.Total != wantLineTotals[i] {
			t.Errorf("line %d total = %s, want %s", i, li.Total, wantLineTotals[i])
		}
		got = ticket
	}
	// taxable 39.98 + 0.99 + 1.10 = 42.07; 8.875% of it is 3.7337125 -> 3.73
	want := Totals{Subtotal: 10957, Tax: 373, Total: 11330, Paid: 0, Balance: 11330}
	if got.Totals != want {
		t.Fatalf("totals = %+v, want %+v", got.Totals, want)
	}
	if stored := loadTicket(t, s, tk.ID); stored.Totals != want {
		t.Fatalf("stored totals = %+v, want %+v", stored.Totals, want)
	}

	_, after, err := s.AddPayment(ctx, tk.ID, PaymentInput{Amount: money(t, "100"), Method: "card"})
	if err != nil {
		t.Fatal(err)
	}
	if after.Totals.Paid != 10000 || after.Totals.Balance != 1330 {
		t.Fatalf("after paying 100.00: %+v, want paid 100.00 balance 13.30", after.Totals)
	}
	_, _, err = s.AddPayment(ctx, tk.ID, PaymentInput{Amount: money(t, "13.31")})
	wantConflict(t, err)
	_, after, err = s.AddPayment(ctx, tk.ID, PaymentInput{Amount: money(t, "13.30")})
	if err != nil {
		t.Fatalf("paying exactly the balance: %v", err)
	}
	if after.Totals.Balance != 0 || after.Totals.Paid != 11330 {
		t.Fatalf("after paying in full: %+v", after.Totals)
	}
	_, _, err = s.AddPayment(ctx, tk.ID, PaymentInput{Amount: money(t, "0.01")})
	wantConflict(t, err)

	// Lowering what is owed below what was paid is refused, and changes nothing.
	_, _, err = s.UpdateLineItem(ctx, tk.ID, 1, LineItemPatch{UnitPrice: money(t, "10")})
	wantConflict(t, err)
	_, err = s.DeleteLineItem(ctx, tk.ID, 2)
	wantConflict(t, err)
	if stored := loadTicket(t, s, tk.ID); stored.Totals != after.Totals {
		t.Fatalf("a refused change altered the totals: %+v, want %+v", stored.Totals, after.Totals)
	}
	items, err := s.LineItems(tk.ID, 1, 10)
	if err != nil || items.Total != 4 {
		t.Fatalf("line items after refused changes: %d, %v; want 4", items.Total, err)
	}

	// Raising it is fine and leaves a balance again.
	_, raised, err := s.UpdateLineItem(ctx, tk.ID, 3, LineItemPatch{UnitPrice: money(t, "1.99")})
	if err != nil {
		t.Fatal(err)
	}
	// taxable 39.98 + 1.99 + 1.10 = 43.07 -> tax 3.8224625 -> 3.82; subtotal 110.57
	want = Totals{Subtotal: 11057, Tax: 382, Total: 11439, Paid: 11330, Balance: 109}
	if raised.Totals != want {
		t.Fatalf("after raising a line: %+v, want %+v", raised.Totals, want)
	}
}

func TestLineItemAndPaymentValidation(t *testing.T) {
	s := openTest(t)
	_, tk := ticketFor(t, s, "Val")
	lineTests := []struct {
		name  string
		in    LineItemInput
		field []string
	}{
		{"no price", LineItemInput{Description: "x"}, []string{"unit_price"}},
		{"negative price", LineItemInput{Description: "x", UnitPrice: ptr(Money(-1))}, []string{"unit_price"}},
		{"zero quantity", LineItemInput{Description: "x", UnitPrice: ptr(Money(1)), Quantity: ptr(Quantity(0))}, []string{"quantity"}},
		{"negative quantity", LineItemInput{Description: "x", UnitPrice: ptr(Money(1)), Quantity: ptr(Quantity(-100))}, []string{"quantity"}},
		{"unknown kind", LineItemInput{Kind: "gadget", Description: "x", UnitPrice: ptr(Money(1))}, []string{"kind"}},
		{"blank description", LineItemInput{Description: "  ", UnitPrice: ptr(Money(1))}, []string{"description"}},
		{"several at once", LineItemInput{Kind: "gadget"}, []string{"kind", "description", "unit_price"}},
		{"price above the maximum", LineItemInput{Description: "x", UnitPrice: ptr(MaxAmount + 1)}, []string{"unit_price"}},
		{"line total above the maximum", LineItemInput{Description: "x", UnitPrice: ptr(MaxAmount), Quantity: ptr(Quantity(200))}, []string{"quantity"}},
	}
	for _, tt := range lineTests {
		t.Run("line item "+tt.name, func(t *testing.T) {
			_, _, err := s.AddLineItem(t.Context(), tk.ID, tt.in)
			wantFields(t, err, tt.field...)
		})
	}
	payTests := []struct {
		name  string
		in    PaymentInput
		field string
	}{
		{"no amount", PaymentInput{}, "amount"},
		{"zero amount", PaymentInput{Amount: ptr(Money(0))}, "amount"},
		{"negative amount", PaymentInput{Amount: ptr(Money(-500))}, "amount"},
		{"amount above the maximum", PaymentInput{Amount: ptr(MaxAmount + 1)}, "amount"},
		{"unknown method", PaymentInput{Amount: ptr(Money(1)), Method: "bitcoin"}, "method"},
	}
	for _, tt := range payTests {
		t.Run("payment "+tt.name, func(t *testing.T) {
			_, _, err := s.AddPayment(t.Context(), tk.ID, tt.in)
			wantFields(t, err, tt.field)
		})
	}
	_, _, err := s.AddPayment(t.Context(), 999, PaymentInput{Amount: ptr(Money(1))})
	wantNotFound(t, err)
	_, _, err = s.AddLineItem(t.Context(), 999, LineItemInput{Description: "x", UnitPrice: ptr(Money(1))})
	wantNotFound(t, err)
	_, _, err = s.UpdateLineItem(t.Context(), tk.ID, 999, LineItemPatch{})
	wantNotFound(t, err)
}

// A ticket whose total would pass MaxAmount is refused with 422, and the
// ticket stays readable and writable: no stored total is ever out of range.
func TestTicketTotalAboveMaximumIsRefusedAndTicketStaysUsable(t *testing.T) {
	s := openTest(t)
	_, tk := ticketFor(t, s, "Big Spender")
	big := LineItemInput{Description: "yacht", UnitPrice: ptr(Money(600_000_000_00))}
	if _, _, err := s.AddLineItem(t.Context(), tk.ID, big); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.AddLineItem(t.Context(), tk.ID, big)
	wantFields(t, err, "line_items")
	closed := "Closed"
	after := mustUpdateTicket(t, s, tk.ID, TicketPatch{Status: &closed})
	if after.Totals.Total != 600_000_000_00 || after.Status != "Closed" {
		t.Fatalf("ticket after the refused line: %+v", after)
	}
}

func TestConcurrentPaymentsNeverOverpay(t *testing.T) {
	s := openTest(t)
	_, tk := ticketFor(t, s, "Racer")
	_, tk, err := s.AddLineItem(t.Context(), tk.ID, LineItemInput{Kind: "service", Description: "Repair", UnitPrice: money(t, "100")})
	if err != nil {
		t.Fatal(err)
	}
	if tk.Totals.Balance != 10000 {
		t.Fatalf("balance %s, want 100.00", tk.Totals.Balance)
	}
	rng := rand.New(rand.NewSource(99))
	amounts := make([]Money, 20)
	for i := range amounts {
		amounts[i] = Money(600 + rng.Intn(700)) // 6.00 to 12.99: together far more than 100.00
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, len(amounts))
	for i, a := range amounts {
		wg.Go(func() {
			<-start
			_, _, errs[i] = s.AddPayment(context.Background(), tk.ID, PaymentInput{Amount: &a})
		})
	}
	close(start)
	wg.Wait()
	var paid Money
	succeeded := 0
	for i, err := range errs {
		switch {
		case err == nil:
			paid += amounts[i]
			succeeded++
		default:
			wantConflict(t, err)
		}
	}
	if succeeded == 0 || succeeded == len(amounts) {
		t.Fatalf("%d of %d payments succeeded; the amounts are chosen so that only some fit", succeeded, len(amounts))
	}
	final := loadTicket(t, s, tk.ID)
	if final.Totals.Paid != paid {
		t.Errorf("ticket paid %s, but the accepted payments sum to %s", final.Totals.Paid, paid)
	}
	if final.Totals.Balance < 0 || final.Totals.Balance != final.Totals.Total-paid {
		t.Errorf("balance %s with total %s and paid %s", final.Totals.Balance, final.Totals.Total, paid)
	}
	list, err := s.Payments(tk.ID, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	var listed Money
	for _, raw := range list.Items {
		listed += decode[Payment](t, raw).Amount
	}
	if list.Total != succeeded || listed != paid {
		t.Errorf("payments list holds %d summing %s; want %d summing %s", list.Total, listed, succeeded, paid)
	}
	received := 0
	for _, e := range eventsAfter(t, s, 0) {
		if e.Name == "payment.received" {
			received++
		}
	}
	if received != succeeded {
		t.Errorf("%d payment.received events for %d accepted payments", received, succeeded)
	}
}
