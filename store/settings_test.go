package store

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestDefaultStatusesAreTheRepairWorkflow(t *testing.T) {
	s := openTest(t)
	got, err := s.Statuses()
	if err != nil {
		t.Fatal(err)
	}
	want := []Status{{"New", false}, {"In Progress", false}, {"Waiting for Parts", false},
		{"Waiting on Customer", false}, {"Ready for Pickup", false}, {"Resolved", true}, {"Closed", true}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("statuses = %v, want %v", got, want)
	}
	features, err := s.Features()
	if err != nil || !features["tickets"] || features["inventory"] {
		t.Fatalf("features = %v, %v", features, err)
	}
}

func TestSetStatusesRefusesRemovingAStatusInUse(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	_, tk := ticketFor(t, s, "Waiting")
	mustUpdateTicket(t, s, tk.ID, TicketPatch{Status: ptr("Waiting for Parts")})

	without := func(name string) []Status {
		var out []Status
		for _, st := range DefaultStatuses() {
			if st.Name != name {
				out = append(out, st)
			}
		}
		return out
	}
	before := lastSeq(t, s)
	_, err := s.SetStatuses(ctx, without("Waiting for Parts"))
	wantConflict(t, err)
	// Nor may a status in use change between open and closed.
	flipped := DefaultStatuses()
	flipped[2].Closed = true
	_, err = s.SetStatuses(ctx, flipped)
	wantConflict(t, err)
	if evs := eventsAfter(t, s, before); len(evs) != 0 {
		t.Fatalf("refused changes appended %v", eventNames(evs))
	}
	if got, _ := s.Statuses(); !reflect.DeepEqual(got, DefaultStatuses()) {
		t.Fatalf("a refused change altered the workflow: %v", got)
	}

	// Removing an unused status, and renaming the order, is fine.
	list := without("Waiting on Customer")
	expectEvents(t, s, []string{"store.updated"}, func() error {
		_, err := s.SetStatuses(ctx, list)
		return err
	})
	if got, _ := s.Statuses(); !reflect.DeepEqual(got, list) {
		t.Fatalf("statuses = %v, want %v", got, list)
	}
	// Once the ticket moves on, its old status can go.
	mustUpdateTicket(t, s, tk.ID, TicketPatch{Status: ptr("In Progress")})
	if _, err := s.SetStatuses(ctx, without("Waiting for Parts")); err != nil {
		t.Fatalf("removing a status no ticket uses: %v", err)
	}
}

func TestSetStatusesValidation(t *testing.T) {
	s := openTest(t)
	many := make([]Status, 31)
	for i := range many {
		many[i] = Status{Name: strings.Repeat("s", i+1)}
	}
	tests := []struct {
		name   string
		list   []Status
		fields []string
	}{
		{"empty", nil, []string{"statuses"}},
		{"too many", many, []string{"statuses"}},
		{"blank name", []Status{{Name: "New"}, {Name: ""}}, []string{"statuses[1].name"}},
		{"surrounding spaces", []Status{{Name: " New"}}, []string{"statuses[0].name"}},
		{"name too long", []Status{{Name: strings.Repeat("n", 41)}}, []string{"statuses[0].name"}},
		{"listed twice ignoring case", []Status{{Name: "New"}, {Name: "new"}}, []string{"statuses[1].name"}},
		{"first status closed", []Status{{Name: "Done", Closed: true}, {Name: "New"}}, []string{"statuses"}},
		{"no open status", []Status{{Name: "Done", Closed: true}}, []string{"statuses"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.SetStatuses(t.Context(), tt.list)
			wantFields(t, err, tt.fields...)
		})
	}
}

func TestUpdateShopValidation(t *testing.T) {
	s := openTest(t)
	tests := []struct {
		name  string
		patch ShopPatch
		field string
	}{
		{"blank name", ShopPatch{Name: ptr("  ")}, "name"},
		{"name too long", ShopPatch{Name: ptr(strings.Repeat("n", 121))}, "name"},
		{"bad email", ShopPatch{Email: ptr("shop@")}, "email"},
		{"unknown time zone", ShopPatch{Timezone: ptr("Mars/Olympus_Mons")}, "timezone"},
		{"empty time zone", ShopPatch{Timezone: ptr("")}, "timezone"},
		{"lower-case currency", ShopPatch{Currency: ptr("usd")}, "currency"},
		{"currency too long", ShopPatch{Currency: ptr("EURO")}, "currency"},
		{"negative tax", ShopPatch{TaxRate: ptr(Percent(-1))}, "tax_rate"},
		{"tax over 100%", ShopPatch{TaxRate: ptr(Percent(100001))}, "tax_rate"},
		{"links of no days", ShopPatch{PortalLinkDays: ptr(0)}, "portal_link_days"},
		{"links over a year", ShopPatch{PortalLinkDays: ptr(366)}, "portal_link_days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.UpdateShop(t.Context(), tt.patch)
			wantFields(t, err, tt.field)
		})
	}
	if got, _ := s.Shop(); got != defaultShop() {
		t.Fatalf("invalid patches changed the shop: %+v", got)
	}
}

func TestUpdateShopRecordsChangesOnce(t *testing.T) {
	s := openTest(t)
	patch := ShopPatch{Name: ptr("Fixit"), Email: ptr("hi@fixit.example"), Timezone: ptr("Europe/London"),
		Currency: ptr("GBP"), TaxRate: ptr(Percent(20000))}
	var shop Shop
	evs := expectEvents(t, s, []string{"store.updated"}, func() (err error) {
		shop, err = s.UpdateShop(t.Context(), patch)
		return err
	})
	want := Shop{Name: "Fixit", Email: "hi@fixit.example", Timezone: "Europe/London", Currency: "GBP", TaxRate: 20000, PortalLinkDays: DefaultPortalLinkDays}
	if shop != want {
		t.Fatalf("shop = %+v, want %+v", shop, want)
	}
	changes := decode[struct {
		Changes map[string]change `json:"changes"`
	}](t, evs[0].Data).Changes
	if len(changes) != 5 || changes["tax_rate"].To != float64(20) {
		t.Errorf("store.updated changes = %v", changes)
	}
	expectEvents(t, s, nil, func() error {
		_, err := s.UpdateShop(t.Context(), patch)
		return err
	})
	s = reopen(t, s, Options{})
	if got, _ := s.Shop(); got != want {
		t.Fatalf("after reopen shop = %+v", got)
	}
}

func TestSealedValueIsMadeOnceAndReadBack(t *testing.T) {
	s := openTest(t)
	sealer, err := LoadSealer(t.TempDir() + "/seal.key")
	if err != nil {
		t.Fatal(err)
	}
	made := 0
	mk := func() (string, error) { made++; return "dk_test_sandbox", nil }
	for range 2 {
		v, err := s.SealedValue(t.Context(), "sandbox", sealer, mk)
		if err != nil || v != "dk_test_sandbox" {
			t.Fatalf("SealedValue = %q, %v", v, err)
		}
	}
	if made != 1 {
		t.Fatalf("make ran %d times, want once", made)
	}
	failing := func() (string, error) { return "", errors.New("no entropy") }
	if _, err := s.SealedValue(t.Context(), "other", sealer, failing); err == nil {
		t.Fatal("a failing make was not reported")
	}
}
