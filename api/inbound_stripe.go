package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"portal/internal/stripesig"
	"portal/store"
)

// POST /inbound/stripe: the shop's payment provider reports a payment. It
// sits outside /api/v1 because the provider holds no key: the signature
// over the body, with the secret set by PATCH /store/payments, is the
// credential. The body is capped by common (1 MiB).
//
// Answers, chosen for how Stripe behaves (it retries anything but a 2xx for
// days, then disables the endpoint):
//   - bad or missing signature, a timestamp more than 5 minutes off, no
//     secret set, a body that is not an event: 400, nothing written;
//   - a recorded payment, a replay of one, an event type we do not use, or an
//     event we can never record (no ticket_id, a ticket that does not exist,
//     another currency): 200 — retrying would not help — and the last kind
//     is logged for the shop;
//   - more than the ticket's balance: 409, nothing written. Retrying can
//     help here (staff may add the missing line), and Stripe's dashboard
//     shows the failing delivery to the shop.
//
// The event's livemode picks the store: livemode false is a test event, and
// is verified with the test store's secret and written only there.

// stripeActor names the provider in the events a payment fires.
var stripeActor = store.Actor{Type: store.ActorSystem, Name: "Stripe"}

var errBadSignature = newError(http.StatusBadRequest, "BAD_SIGNATURE",
	"The Stripe-Signature header does not match this body with the webhook secret set in the shop's settings, or its timestamp is more than 5 minutes off")

// stripeEvent is the part of a Stripe event we read.
type stripeEvent struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Livemode *bool  `json:"livemode"`
	Data     struct {
		Object stripeObject `json:"object"`
	} `json:"data"`
}

// stripeObject holds a payment intent's or a checkout session's fields.
type stripeObject struct {
	ID             string            `json:"id"`
	AmountReceived *int64            `json:"amount_received"` // payment intent
	AmountTotal    *int64            `json:"amount_total"`    // checkout session
	Currency       string            `json:"currency"`
	PaymentStatus  string            `json:"payment_status"` // checkout session: paid|unpaid|no_payment_required
	PaymentIntent  json.RawMessage   `json:"payment_intent"` // checkout session: an id, or the expanded object
	Metadata       map[string]string `json:"metadata"`
	// ClientReferenceID is how a Stripe Payment Link carries the ticket: a
	// link opened as …?client_reference_id={ticket_id} hands it back on
	// the checkout session (metadata cannot be set from a link's URL).
	ClientReferenceID string `json:"client_reference_id"`
}

// inboundResult is the 200's data.
type inboundResult struct {
	Received  bool    `json:"received"`
	Recorded  bool    `json:"recorded"`
	Duplicate bool    `json:"duplicate,omitempty"`
	PaymentID *uint64 `json:"payment_id,omitempty"`
	Ignored   string  `json:"ignored,omitempty"` // why nothing was recorded
}

func (s *Server) bindInbound(r *mux.Router) {
	r.HandleFunc("/inbound/stripe", s.inboundStripe).Methods(http.MethodPost)
}

func (s *Server) inboundStripe(w http.ResponseWriter, r *http.Request) {
	if err := s.handleStripe(w, r); err != nil {
		fail(w, r, err)
	}
}

func (s *Server) handleStripe(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge
	} else if err != nil {
		return newError(http.StatusBadRequest, "BAD_REQUEST", "The body could not be read")
	}
	var ev stripeEvent
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" || ev.Type == "" {
		return newError(http.StatusBadRequest, "BAD_REQUEST", "The body is not a Stripe event (id, type, data.object)")
	}
	mode := store.Live
	if ev.Livemode != nil && !*ev.Livemode {
		mode = store.Test
	}
	st := s.storeFor(mode)
	secret, err := st.StripeWebhookSecret(s.cfg.Sealer)
	if err != nil {
		return err
	}
	log := loggerOf(r).With("provider", "stripe", "mode", string(mode))
	if err := stripesig.Verify(secret, r.Header.Get("Stripe-Signature"), body, s.cfg.Now()); err != nil {
		// Nothing of an unsigned body reaches the log: anyone may post one.
		log.Warn("inbound payment refused", "reason", err.Error())
		return errBadSignature
	}
	log = log.With("event_id", ev.ID, "event_type", ev.Type)
	in, why := s.stripePayment(st, ev)
	if why != "" {
		if why != ignoredType {
			log.Warn("inbound payment not recorded", "reason", why)
		}
		return ok(w, http.StatusOK, inboundResult{Received: true, Ignored: why})
	}
	res, err := st.RecordInboundPayment(store.WithActor(r.Context(), stripeActor), in)
	var nf *store.NotFoundError
	var ce *store.ConflictError
	switch {
	case errors.As(err, &nf):
		why := "ticket " + strconv.FormatUint(in.TicketID, 10) + " does not exist in the " + string(mode) + " store"
		log.Warn("inbound payment not recorded", "reason", why)
		return ok(w, http.StatusOK, inboundResult{Received: true, Ignored: why})
	case errors.As(err, &ce):
		log.Warn("inbound payment refused; the provider will retry", "ticket_id", in.TicketID, "amount", in.Amount.String(), "reason", ce.Msg)
		return err
	case err != nil:
		return err
	case res.Duplicate:
		return ok(w, http.StatusOK, inboundResult{Received: true, Duplicate: true})
	}
	log.Info("inbound payment recorded", "ticket_id", in.TicketID, "payment_id", res.Payment.ID, "amount", in.Amount.String())
	return ok(w, http.StatusOK, inboundResult{Received: true, Recorded: true, PaymentID: &res.Payment.ID})
}

const ignoredType = "this event type records nothing"

// stripePayment reads the payment an event reports, or says why it records
// none.
func (s *Server) stripePayment(st *store.Store, ev stripeEvent) (store.InboundPayment, string) {
	obj := ev.Data.Object
	in := store.InboundPayment{Provider: "stripe", EventID: ev.ID, ObjectID: obj.ID}
	var minor *int64
	switch ev.Type {
	case "payment_intent.succeeded":
		minor = obj.AmountReceived
	case "checkout.session.completed", "checkout.session.async_payment_succeeded":
		// A session paid by a delayed method completes unpaid and pays later
		// (async_payment_succeeded): only a paid session is money.
		if obj.PaymentStatus != "" && obj.PaymentStatus != "paid" {
			return in, "the checkout session is " + obj.PaymentStatus
		}
		minor = obj.AmountTotal
		// The session's payment intent is the same money: recording its
		// id too keeps a payment_intent.succeeded for it from adding a second payment.
		var pi string
		if json.Unmarshal(obj.PaymentIntent, &pi) != nil {
			var expanded struct{ ID string }
			_ = json.Unmarshal(obj.PaymentIntent, &expanded)
			pi = expanded.ID
		}
		in.AlsoIDs = []string{pi}
	default:
		return in, ignoredType
	}
	if obj.ID == "" || minor == nil {
		return in, "the event carries no payment object or amount"
	}
	ref := strings.TrimSpace(obj.Metadata["ticket_id"])
	if ref == "" && ev.Type != "payment_intent.succeeded" {
		ref = strings.TrimSpace(obj.ClientReferenceID)
	}
	id, err := strconv.ParseUint(ref, 10, 64)
	if err != nil || id == 0 {
		return in, "the payment names no ticket (metadata.ticket_id, or a checkout session's client_reference_id)"
	}
	in.TicketID = id
	shop, err := st.Shop()
	if err != nil {
		return in, "the shop's settings could not be read"
	}
	if !strings.EqualFold(obj.Currency, shop.Currency) {
		return in, "the payment is in " + strings.ToUpper(obj.Currency) + ", the shop's currency is " + shop.Currency
	}
	amount, ok := fromMinorUnits(*minor, shop.Currency)
	if !ok || amount <= 0 || amount > store.MaxAmount {
		return in, "the amount " + strconv.FormatInt(*minor, 10) + " cannot be recorded in " + shop.Currency
	}
	in.Amount = amount
	return in, ""
}

// zeroDecimal and threeDecimal are the currencies whose minor unit is not a
// hundredth (Stripe's list): amounts arrive in the currency's smallest unit.
var (
	zeroDecimal  = "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF"
	threeDecimal = "BHD JOD KWD OMR TND"
)

// fromMinorUnits turns the provider's smallest-unit amount into Money
// (hundredths); false when it cannot be held exactly.
func fromMinorUnits(minor int64, currency string) (store.Money, bool) {
	cur := strings.ToUpper(currency)
	switch {
	case len(cur) == 3 && strings.Contains(zeroDecimal, cur):
		if minor > int64(store.MaxAmount)/100 {
			return 0, false
		}
		return store.Money(minor * 100), true
	case len(cur) == 3 && strings.Contains(threeDecimal, cur):
		return store.Money(minor / 10), minor%10 == 0
	}
	return store.Money(minor), true
}
