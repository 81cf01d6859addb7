package api

import (
	"net/http"

	"portal/store"
)

// paymentRoutes: refunds and voids (recording and listing payments are with
// the ticket's other parts, ticketparts.go).
func (s *Server) paymentRoutes() []route {
	const pay = "payments"
	return []route{
		{method: "POST", path: "/tickets/{id}/payments/{payment_id}/refund", scope: writeScope(pay), handle: s.refundPayment,
			summary: "Refund part or all of a payment (amount, reason; no amount: all that is refundable); 409 saying how much is refundable when more is asked",
			in:      store.RefundInput{}, out: paymentResult{}},
		{method: "POST", path: "/tickets/{id}/payments/{payment_id}/void", scope: writeScope(pay), handle: s.voidPayment,
			summary: "Void a payment that has had no refund (409 otherwise); it stops counting towards the ticket", out: paymentResult{}},
	}
}

func paymentIDs(r *http.Request) (uint64, uint64, error) {
	id, err := idParam(r, "id")
	if err != nil {
		return 0, 0, err
	}
	pid, err := idParam(r, "payment_id")
	return id, pid, err
}

func (s *Server) refundPayment(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, pid, err := paymentIDs(r)
	if err != nil {
		return err
	}
	var in store.RefundInput
	if err := decode(r, &in); err != nil {
		return err
	}
	pay, t, err := p.Store.RefundPayment(r.Context(), id, pid, in)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, paymentResult{Payment: pay, Ticket: t})
}

func (s *Server) voidPayment(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, pid, err := paymentIDs(r)
	if err != nil {
		return err
	}
	if err := decodeOptional(r, &struct{}{}); err != nil {
		return err
	}
	pay, t, err := p.Store.VoidPayment(r.Context(), id, pid)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, paymentResult{Payment: pay, Ticket: t})
}
