package store

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// Online payments' settings (PATCH /store/payments). Each store keeps its
// own, so the test store's webhook secret is a test-mode secret and a test
// event can never be verified against (or write to) the live store.
var keyPayments = []byte("payments")

// PaymentSettings is what the API shows: the webhook secret is write-only,
// so only whether one is set ever leaves the store.
type PaymentSettings struct {
	PaymentLinkTemplate    string `json:"payment_link_template"`
	StripeWebhookSecretSet bool   `json:"stripe_webhook_secret_set"`
}

// PaymentSettingsPatch changes the settings. An empty secret or template
// removes it.
type PaymentSettingsPatch struct {
	StripeWebhookSecret *string `json:"stripe_webhook_secret"`
	PaymentLinkTemplate *string `json:"payment_link_template"`
}

// paymentsRecord is the stored form: the secret sealed with the data
// folder's seal key, so the database file (and its backups) never hold it
// in the clear.
type paymentsRecord struct {
	PaymentLinkTemplate string `json:"payment_link_template"`
	StripeSecretSealed  []byte `json:"stripe_secret_sealed,omitempty"`
}

// PaymentLinkPlaceholders are the fields a payment link template may use.
var PaymentLinkPlaceholders = []string{"{ticket_id}", "{ticket_number}", "{balance}", "{currency}"}

var placeholderRE = regexp.MustCompile(`\{[^{}]*\}`)

// maxStripeSecret bounds the secret: Stripe's are ~40 characters.
const maxStripeSecret = 200

func (p PaymentSettingsPatch) validate() error {
	var pr Problems
	if p.StripeWebhookSecret != nil {
		v := *p.StripeWebhookSecret
		if v != strings.TrimSpace(v) || len(v) > maxStripeSecret || (v != "" && len(v) < 16) {
			pr.Add("stripe_webhook_secret", "must be the endpoint's signing secret (whsec_…, 16 to 200 characters, no spaces)")
		}
	}
	if p.PaymentLinkTemplate != nil && *p.PaymentLinkTemplate != "" {
		if msg := checkLinkTemplate(*p.PaymentLinkTemplate); msg != "" {
			pr.Add("payment_link_template", msg)
		}
	}
	return pr.Err()
}

// checkLinkTemplate explains what is wrong with a template, or says "".
// A link must name the ticket ({ticket_id} or {ticket_number}): the
// provider hands it back in the payment's metadata, and a payment that
// names no ticket cannot be recorded against one.
func checkLinkTemplate(tpl string) string {
	if utf8.RuneCountInString(tpl) > 1000 {
		return "must be at most 1000 characters"
	}
	for _, ph := range placeholderRE.FindAllString(tpl, -1) {
		if !contains(PaymentLinkPlaceholders, ph) {
			return "has an unknown placeholder " + ph + "; use {ticket_id}, {ticket_number}, {balance} or {currency}"
		}
	}
	// The payment comes back naming a ticket id (metadata.ticket_id or
	// client_reference_id): a link that named only the number would have the
	// money recorded on whichever ticket has that number as its id.
	if !strings.Contains(tpl, "{ticket_id}") {
		return "must name the ticket with {ticket_id}, which the payment comes back with"
	}
	u, err := url.Parse(ExpandPaymentLink(tpl, 1, 1, 100, "USD"))
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return "must be an https:// URL such as https://pay.example.com/shop?ticket={ticket_id}&amount={balance}"
	}
	return ""
}

// ExpandPaymentLink fills a template's placeholders, each escaped for the
// URL's query so no value can add a parameter or change the host.
func ExpandPaymentLink(tpl string, ticketID, ticketNumber uint64, balance Money, currency string) string {
	return strings.NewReplacer(
		"{ticket_id}", strconv.FormatUint(ticketID, 10),
		"{ticket_number}", strconv.FormatUint(ticketNumber, 10),
		"{balance}", url.QueryEscape(balance.String()),
		"{currency}", url.QueryEscape(currency),
	).Replace(tpl)
}

func (r paymentsRecord) public() PaymentSettings {
	return PaymentSettings{PaymentLinkTemplate: r.PaymentLinkTemplate, StripeWebhookSecretSet: len(r.StripeSecretSealed) > 0}
}

// PaymentSettings reads the settings as the API shows them.
func (s *Store) PaymentSettings() (PaymentSettings, error) {
	var rec paymentsRecord
	err := s.view(func(tx *bolt.Tx) (err error) { rec, err = getJSON(tx, keyPayments, paymentsRecord{}); return })
	return rec.public(), err
}

// UpdatePaymentSettings applies a patch, sealing a new secret with sealer,
// and records store.updated naming what changed (the secret only as
// stripe_webhook_secret_set, never its value).
func (s *Store) UpdatePaymentSettings(ctx context.Context, p PaymentSettingsPatch, sealer *Sealer) (PaymentSettings, error) {
	if err := p.validate(); err != nil {
		return PaymentSettings{}, err
	}
	var sealed []byte
	if p.StripeWebhookSecret != nil && *p.StripeWebhookSecret != "" {
		if sealer == nil {
			return PaymentSettings{}, Conflict("this appliance has no seal key, so it cannot keep a secret")
		}
		var err error
		if sealed, err = sealer.Seal([]byte(*p.StripeWebhookSecret)); err != nil {
			return PaymentSettings{}, err
		}
	}
	var out PaymentSettings
	err := s.update(ctx, func(tx *bolt.Tx) error {
		rec, err := getJSON(tx, keyPayments, paymentsRecord{})
		if err != nil {
			return err
		}
		before := rec.public()
		changes := ordered{}
		if p.PaymentLinkTemplate != nil && *p.PaymentLinkTemplate != rec.PaymentLinkTemplate {
			changes = changes.with("payment_link_template", change{rec.PaymentLinkTemplate, *p.PaymentLinkTemplate})
			rec.PaymentLinkTemplate = *p.PaymentLinkTemplate
		}
		secretChanged := false
		if p.StripeWebhookSecret != nil {
			// A new secret is a change even when set was already true: the
			// event tells the console the secret was replaced.
			secretChanged = len(sealed) > 0 || len(rec.StripeSecretSealed) > 0
			rec.StripeSecretSealed = sealed
		}
		out = rec.public()
		if secretChanged {
			changes = changes.with("stripe_webhook_secret_set", change{before.StripeWebhookSecretSet, out.StripeWebhookSecretSet})
		}
		if len(changes) == 0 {
			return nil
		}
		if err := putJSON(tx, keyPayments, rec); err != nil {
			return err
		}
		_, err = s.appendEvent(tx, "store.updated", ordered{}.with("store_id", 1).with("changes", changes).with("payments", out))
		return err
	})
	return out, err
}

// StripeWebhookSecret opens the sealed secret; "" when none is set.
func (s *Store) StripeWebhookSecret(sealer *Sealer) (string, error) {
	var rec paymentsRecord
	if err := s.view(func(tx *bolt.Tx) (err error) { rec, err = getJSON(tx, keyPayments, paymentsRecord{}); return }); err != nil {
		return "", err
	}
	if len(rec.StripeSecretSealed) == 0 || sealer == nil {
		return "", nil
	}
	v, err := sealer.Open(rec.StripeSecretSealed)
	return string(v), err
}
