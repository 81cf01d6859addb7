// Package invoicepdf prints a ticket's invoice (store.Invoice) as a one-page
// A4 PDF with github.com/go-pdf/fpdf: pure Go, core fonts only, nothing
// fetched or embedded, so the binary stays small and the PDF is made in
// memory within the request.
package invoicepdf

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"portal/store"
)

// Options vary the output.
type Options struct {
	// Uncompressed leaves the content streams readable (tests look for the
	// totals in them); the appliance compresses.
	Uncompressed bool
	// Location is the shop's time zone for dates (UTC when nil).
	Location *time.Location
}

// Page geometry, in millimetres: A4 with 15 mm margins.
const (
	margin  = 15.0
	width   = 210.0 - 2*margin
	lineH   = 5.0
	colQty  = 18.0
	colUnit = 30.0
	colSum  = 30.0
	colDesc = width - colQty - colUnit - colSum
)

// Render writes inv as a PDF to w.
func Render(w io.Writer, inv store.Invoice, opt Options) error {
	loc := opt.Location
	if loc == nil {
		loc = time.UTC
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(!opt.Uncompressed)
	// Fixed dates make the same invoice the same bytes (ETag, tests).
	pdf.SetCreationDate(inv.IssuedAt)
	pdf.SetModificationDate(inv.IssuedAt)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, margin)
	tr := latin1(pdf.UnicodeTranslatorFromDescriptor(""))
	title := fmt.Sprintf("Invoice %d", inv.TicketNumber)
	pdf.SetTitle(title, true)
	pdf.SetAuthor(inv.Shop.Name, true)
	pdf.SetCreator("Portal", true)
	pdf.AddPage()
	money := func(m store.Money) string { return tr(formatMoney(m, inv.Currency)) }
	date := func(t time.Time) string { return t.In(loc).Format("2 Jan 2006") }

	// The shop on the left, the invoice's number and date on the right.
	top := pdf.GetY()
	pdf.SetFont("Helvetica", "B", 18)
	pdf.MultiCell(width*0.6, 8, tr(inv.Shop.Name), "", "L", false)
	pdf.SetFont("Helvetica", "", 9)
	pdf.SetTextColor(80, 80, 80)
	for _, s := range []string{inv.Shop.Address, inv.Shop.Phone, inv.Shop.Email} {
		if s = strings.TrimSpace(s); s != "" {
			pdf.MultiCell(width*0.6, 4.5, tr(s), "", "L", false)
		}
	}
	left := pdf.GetY()
	pdf.SetXY(margin+width*0.6, top)
	pdf.SetTextColor(0, 0, 0)
	pdf.SetFont("Helvetica", "B", 16)
	pdf.CellFormat(width*0.4, 8, "INVOICE", "", 2, "R", false, 0, "")
	pdf.SetFont("Helvetica", "", 9)
	for _, s := range []string{fmt.Sprintf("Ticket #%d", inv.TicketNumber), "Date: " + date(inv.IssuedAt), "Status: " + inv.Status} {
		pdf.CellFormat(width*0.4, 4.5, tr(s), "", 2, "R", false, 0, "")
	}
	pdf.SetXY(margin, max(left, pdf.GetY())+6)

	// Who is billed, and for which device.
	pdf.SetFont("Helvetica", "B", 9)
	pdf.CellFormat(width, lineH, "Bill to", "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	for _, s := range []string{inv.Customer.Name, inv.Customer.Company, inv.Customer.Address, inv.Customer.Email, inv.Customer.Phone} {
		if s = strings.TrimSpace(s); s != "" {
			pdf.MultiCell(width, lineH, tr(s), "", "L", false)
		}
	}
	if inv.Device != "" {
		pdf.Ln(1)
		pdf.SetFont("Helvetica", "", 9)
		pdf.MultiCell(width, lineH, tr("Device: "+inv.Device), "", "L", false)
	}
	pdf.Ln(4)

	lines(pdf, inv, tr, money)
	totals(pdf, inv, tr, money)
	payments(pdf, inv, tr, money, date)

	if inv.PayURL != nil {
		pdf.Ln(4)
		pdf.SetFont("Helvetica", "B", 10)
		pdf.CellFormat(width, lineH, tr("Pay online: "+formatMoney(inv.Balance, inv.Currency)+" due"), "", 1, "L", false, 0, "")
		pdf.SetFont("Helvetica", "U", 9)
		pdf.SetTextColor(0, 70, 160)
		// A link URL is ASCII (the template's values are escaped), so it is
		// written as is: a translator must not change a byte of it.
		pdf.WriteLinkString(lineH, *inv.PayURL, *inv.PayURL)
		pdf.SetTextColor(0, 0, 0)
		pdf.Ln(lineH)
	}
	if err := pdf.Error(); err != nil {
		return err
	}
	return pdf.Output(w)
}

// lines prints the table of lines, wrapping long descriptions.
func lines(pdf *fpdf.Fpdf, inv store.Invoice, tr func(string) string, money func(store.Money) string) {
	pdf.SetFont("Helvetica", "B", 9)
	pdf.SetFillColor(235, 235, 235)
	pdf.CellFormat(colDesc, 7, "Description", "B", 0, "L", true, 0, "")
	pdf.CellFormat(colQty, 7, "Qty", "B", 0, "R", true, 0, "")
	pdf.CellFormat(colUnit, 7, "Unit price", "B", 0, "R", true, 0, "")
	pdf.CellFormat(colSum, 7, "Amount", "B", 1, "R", true, 0, "")
	pdf.SetFont("Helvetica", "", 9)
	if len(inv.Lines) == 0 {
		pdf.CellFormat(width, 7, "Nothing billed yet", "B", 1, "L", false, 0, "")
		return
	}
	for _, l := range inv.Lines {
		desc := l.Description
		if !l.Taxable && inv.Tax > 0 {
			desc += " (no tax)"
		}
		wrapped := pdf.SplitLines([]byte(tr(desc)), colDesc)
		h := float64(max(1, len(wrapped))) * lineH
		if pdf.GetY()+h > 297-margin-20 {
			pdf.AddPage()
		}
		x, y := pdf.GetXY()
		for i, part := range wrapped {
			pdf.SetXY(x, y+float64(i)*lineH)
			pdf.CellFormat(colDesc, lineH, string(part), "", 0, "L", false, 0, "")
		}
		pdf.SetXY(x+colDesc, y)
		pdf.CellFormat(colQty, lineH, quantity(l.Quantity), "", 0, "R", false, 0, "")
		pdf.CellFormat(colUnit, lineH, money(l.UnitPrice), "", 0, "R", false, 0, "")
		pdf.CellFormat(colSum, lineH, money(l.Total), "", 0, "R", false, 0, "")
		pdf.SetXY(x, y+h)
		pdf.Line(margin, y+h, margin+width, y+h)
	}
}

// totals prints subtotal, tax, total, paid and the balance, right-aligned.
func totals(pdf *fpdf.Fpdf, inv store.Invoice, tr func(string) string, money func(store.Money) string) {
	pdf.Ln(2)
	row := func(label, value string, bold bool) {
		style := ""
		if bold {
			style = "B"
		}
		pdf.SetFont("Helvetica", style, 10)
		pdf.SetX(margin + width - colUnit - colSum - 30)
		pdf.CellFormat(colUnit+30, 6, tr(label), "", 0, "R", false, 0, "")
		pdf.CellFormat(colSum, 6, value, "", 1, "R", false, 0, "")
	}
	row("Subtotal", money(inv.Subtotal), false)
	row("Tax ("+percent(inv.TaxRate)+")", money(inv.Tax), false)
	row("Total", money(inv.Total), true)
	row("Paid", money(inv.Paid), false)
	row("Balance due", money(inv.Balance), true)
}

// payments lists what was paid, with refunds.
func payments(pdf *fpdf.Fpdf, inv store.Invoice, tr func(string) string, money func(store.Money) string, date func(time.Time) string) {
	if len(inv.Payments) == 0 {
		return
	}
	pdf.Ln(4)
	pdf.SetFont("Helvetica", "B", 9)
	pdf.CellFormat(width, lineH, "Payments", "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 9)
	for _, p := range inv.Payments {
		text := date(p.Date) + "   " + methodName(p.Method)
		if p.Refunded > 0 {
			text += ", refunded " + formatMoney(p.Refunded, inv.Currency)
		}
		pdf.CellFormat(width-colSum, lineH, tr(text), "", 0, "L", false, 0, "")
		pdf.CellFormat(colSum, lineH, money(p.Amount), "", 1, "R", false, 0, "")
	}
}

// symbols are the currencies written with their sign; others with their code.
var symbols = map[string]string{"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}

func formatMoney(m store.Money, currency string) string {
	if s, ok := symbols[currency]; ok {
		if m < 0 {
			return "-" + s + (-m).String()
		}
		return s + m.String()
	}
	return currency + " " + m.String()
}

func quantity(q store.Quantity) string {
	b, _ := q.MarshalJSON()
	return string(b)
}

func percent(p store.Percent) string {
	b, _ := p.MarshalJSON()
	return string(b) + "%"
}

// methodName is a payment method as a bill writes it ("card" → "Card").
func methodName(m string) string {
	if m == "" {
		return m
	}
	return strings.ToUpper(m[:1]) + m[1:]
}
