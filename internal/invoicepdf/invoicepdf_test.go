package invoicepdf

import (
	"bytes"
	"compress/zlib"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"portal/store"
)

func sample() store.Invoice {
	pay := "https://pay.example.com/shop?ticket=7&amount=41.50"
	return store.Invoice{TicketID: 7, TicketNumber: 1042, Status: "Ready for Pickup",
		IssuedAt: time.Date(2026, 3, 15, 14, 0, 0, 0, time.UTC),
		Shop:     store.InvoiceShop{Name: "Café Repairs", Address: "1 Rue de la Paix, Paris", Phone: "+33 1 23 45 67 89"},
		Customer: store.InvoiceCustomer{Name: "Łukasz Čapek", Email: "lukasz@example.com"},
		Device:   "Apple iPhone 15", Currency: "EUR", TaxRate: 20000,
		Lines: []store.InvoiceLine{
			{Description: "Écran réparé → OLED", Kind: "part", Quantity: 100, UnitPrice: 8950, Taxable: true, Total: 8950},
			{Description: strings.Repeat("Diagnostic and a very long description that wraps ", 4), Kind: "service", Quantity: 150, UnitPrice: 2000, Total: 3000},
		},
		Subtotal: 11950, Tax: 1790, Total: 13740, Paid: 9590, Balance: 4150,
		Payments: []store.InvoicePayment{{Date: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC), Method: "card", Amount: 9590, Status: "completed"}},
		PayURL:   &pay}
}

// content is the PDF's text: the streams inflated when compressed.
func content(t *testing.T, pdf []byte) string {
	t.Helper()
	var out strings.Builder
	out.Write(pdf)
	re := regexp.MustCompile(`(?s)stream\r?\n(.*?)\r?\nendstream`)
	for _, m := range re.FindAllSubmatch(pdf, -1) {
		if r, err := zlib.NewReader(bytes.NewReader(m[1])); err == nil {
			b, _ := io.ReadAll(r)
			out.Write(b)
		}
	}
	return out.String()
}

func TestInvoicePDFParsesAndHoldsTheTotals(t *testing.T) {
	for _, compressed := range []bool{false, true} {
		var buf bytes.Buffer
		if err := Render(&buf, sample(), Options{Uncompressed: !compressed}); err != nil {
			t.Fatal(err)
		}
		raw := buf.Bytes()
		if !bytes.HasPrefix(raw, []byte("%PDF-")) || !bytes.Contains(raw, []byte("\nxref\n")) ||
			!bytes.Contains(raw, []byte("trailer")) || !bytes.HasSuffix(bytes.TrimSpace(raw), []byte("%%EOF")) {
			t.Fatalf("compressed=%v: not a whole PDF", compressed)
		}
		if n := len(regexp.MustCompile(`/Type /Page\b`).FindAll(raw, -1)); n != 1 {
			t.Errorf("compressed=%v: %d pages, want 1", compressed, n)
		}
		text := content(t, raw)
		// cp1252: "€" is 0x80, "é" 0xE9, "É" 0xC9; Ł and Č fall back to L and C.
		for _, want := range []string{"(INVOICE)", "Ticket #1042", "Balance due", "\x80137.40", "\x8041.50", "\x80119.50", "\x8017.90",
			"(\xc9cran r\xe9par\xe9 -> OLED)", "Lukasz Capek", "Caf\xe9 Repairs", `Tax \(20%\)`, "pay.example.com/shop?ticket=7"} {
			if !strings.Contains(text, want) {
				t.Errorf("compressed=%v: no %q in the PDF", compressed, want)
			}
		}
	}
}

func TestALongInvoiceStillRenders(t *testing.T) {
	inv := sample()
	for range 80 {
		inv.Lines = append(inv.Lines, store.InvoiceLine{Description: "Screw", Quantity: 100, UnitPrice: 10, Total: 10})
	}
	var buf bytes.Buffer
	if err := Render(&buf, inv, Options{}); err != nil {
		t.Fatal(err)
	}
	if n := len(regexp.MustCompile(`/Type /Page\b`).FindAll(buf.Bytes(), -1)); n < 2 {
		t.Errorf("%d pages for 82 lines", n)
	}
}
