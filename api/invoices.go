package api

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"portal/internal/invoicepdf"
	"portal/store"
)

// A ticket's invoice: the same store.Invoice for staff and for the ticket's
// customer, as JSON (the customer page draws it) and as a PDF.

// invoiceScopes: an invoice shows payments and the customer's contact details.
var invoiceScopes = []string{"payments.read", "customers.read"}

func (s *Server) invoiceRoutes() []route {
	const res = "tickets"
	return []route{
		// An invoice holds the payments and the customer's contact details.
		{method: "GET", path: "/tickets/{id}/invoice", scope: readScope(res), also: invoiceScopes, handle: s.getInvoice,
			summary: "The ticket's invoice: shop, customer, lines, subtotal, tax, total, payments, balance, pay_url (the shop's payment link when something is due)", out: store.Invoice{}},
		{method: "GET", path: "/tickets/{id}/invoice.pdf", scope: readScope(res), also: invoiceScopes, handle: s.getInvoicePDF,
			summary: "The ticket's invoice as a PDF (A4, one page for a normal ticket)", file: "application/pdf"},
	}
}

func (s *Server) getInvoice(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	inv, err := p.Store.Invoice(id)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, inv)
}

func (s *Server) getInvoicePDF(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	inv, err := p.Store.Invoice(id)
	if err != nil {
		return err
	}
	return writeInvoicePDF(w, p.Store, inv)
}

// writeInvoicePDF renders inv whole before the first byte, so a failure is
// still an error envelope, and serves it inline (the browser shows it; its
// name is the invoice's when saved).
func writeInvoicePDF(w http.ResponseWriter, st *store.Store, inv store.Invoice) error {
	loc := time.UTC
	if shop, err := st.Shop(); err == nil {
		if l, err := time.LoadLocation(shop.Timezone); err == nil {
			loc = l
		}
	}
	var buf bytes.Buffer
	if err := invoicepdf.Render(&buf, inv, invoicepdf.Options{Location: loc}); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Content-Disposition", `inline; filename="invoice-`+strconv.FormatUint(inv.TicketNumber, 10)+`.pdf"`)
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(buf.Bytes())
	return err
}
