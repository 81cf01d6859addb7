package api

import (
	"net/http"

	"portal/store"
)

// paymentSettingsRoutes: the shop's online-payment settings. The webhook
// secret is sealed and write-only (answers say stripe_webhook_secret_set);
// a test-mode principal reads and sets the test store's own, which only
// test events (livemode false) are verified with.
func (s *Server) paymentSettingsRoutes() []route {
	const res = "store"
	return []route{
		{method: "GET", path: "/store/payments", scope: readScope(res), handle: s.getPaymentSettings,
			summary: "The shop's online-payment settings (the webhook secret only as stripe_webhook_secret_set)", out: store.PaymentSettings{}},
		// also payments.write: whoever sets the webhook secret can sign
		// events that record payments, which store.write alone may not do.
		{method: "PATCH", path: "/store/payments", scope: writeScope(res), also: []string{writeScope("payments")}, handle: s.updatePaymentSettings,
			summary: "Set the Stripe webhook signing secret (sealed, write-only; \"\" removes it) and the payment link template (https, placeholders {ticket_id} {ticket_number} {balance} {currency})",
			in:      store.PaymentSettingsPatch{}, out: store.PaymentSettings{}},
	}
}

func (s *Server) getPaymentSettings(w http.ResponseWriter, r *http.Request, p *Principal) error {
	out, err := p.Store.PaymentSettings()
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, out)
}

func (s *Server) updatePaymentSettings(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var patch store.PaymentSettingsPatch
	if err := decode(r, &patch); err != nil {
		return err
	}
	out, err := p.Store.UpdatePaymentSettings(r.Context(), patch, s.cfg.Sealer)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, out)
}
