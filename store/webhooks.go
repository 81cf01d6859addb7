package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketWebhooks          = []byte("webhooks")                // be64 id -> webhookRecord
	bucketDeliveries        = []byte("deliveries")              // be64 seq -> deliveryRecord
	bucketAttempts          = []byte("delivery_attempts")       // be64 seq be32 n -> Attempt
	bucketWebhookDeliveries = []byte("webhook_deliveries")      // be64 webhook id be64 seq -> nil
	bucketQueueReady        = []byte("queue_ready")             // be64 webhook id be64 due unix-nanos be64 seq -> nil
	bucketQueueInflight     = []byte("queue_inflight")          // be64 lease-until unix-nanos be64 seq -> nil
	bucketWebhookDelivered  = []byte("webhook_delivery_counts") // be64 webhook id -> be64 deliveries
	keyHooksCursor          = []byte("hooks_cursor")            // in meta: the last event seq fanned out

	webhookBuckets = [][]byte{bucketWebhooks, bucketDeliveries, bucketAttempts, bucketWebhookDeliveries,
		bucketQueueReady, bucketQueueInflight, bucketWebhookDelivered}
)

// WebhookFormats are the wire formats a webhook can use (API.md).
var WebhookFormats = []string{"portal", "portalio", "porter", "standard"}

// Webhook is a subscription as the API shows it: never its secret.
type Webhook struct {
	ID          uint64   `json:"id"`
	URL         string   `json:"url"`
	Description string   `json:"description"`
	Events      []string `json:"events"`
	Format      string   `json:"format"`
	Enabled     bool     `json:"enabled"`
	// DisabledReason says why the appliance turned the webhook off ("" when
	// it is on, or was turned off by a person).
	DisabledReason      string `json:"disabled_reason"`
	ConsecutiveFailures int    `json:"consecutive_failures"`
	// PausedUntil holds back the webhook's queue after a failed attempt, so a
	// receiver that is down gets one probe per retry step, not its backlog.
	PausedUntil *time.Time `json:"paused_until"`
	// ReadScopes are the read scopes of whoever last set the webhook up: it
	// carries only events whose records they may read (an event holds its
	// record, so a webhook must not be a way around a scope).
	ReadScopes []string `json:"read_scopes"`
	// Owner is who last set its URL, events or format. Every send is checked
	// against what the owner may read at that moment (ScopesOf), so a
	// revoked or narrowed owner's webhook stops carrying what they lost.
	Owner     Actor     `json:"owner"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type webhookRecord struct {
	Webhook
	Secret           []byte     `json:"secret"` // sealed
	OldSecret        []byte     `json:"old_secret,omitempty"`
	OldSecretExpires *time.Time `json:"old_secret_expires,omitempty"`
	// FromSeq is the last event of the log when the webhook was made: it
	// receives only what happens after it exists.
	FromSeq uint64 `json:"from_seq"`
}

// WebhookInput creates a webhook.
type WebhookInput struct {
	URL         string   `json:"url"`
	Description string   `json:"description"`
	Events      []string `json:"events"`
	Format      string   `json:"format"`
	Enabled     *bool    `json:"enabled"`
	// By is the caller, who becomes the owner; its read scopes are what the
	// webhook may carry. Set by the API, never read from the body.
	By Editor `json:"-"`
}

// Editor is who changes a webhook, with the scopes they hold now.
type Editor struct {
	Actor  Actor
	Scopes []string
}

// orSystem reads the zero Editor as the appliance itself (the CLI, the
// sandbox's demo data), which may do anything. The API always names its caller.
func (e Editor) orSystem() Editor {
	if e.Actor.Type == "" {
		return Editor{Actor: System, Scopes: AllScopes()}
	}
	return e
}

// missing lists the scopes of need the editor lacks.
func (e Editor) missing(need []string) []string {
	var out []string
	for _, sc := range need {
		if !contains(e.Scopes, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// mayRedirect refuses an editor weaker than the webhook: changing where its
// payloads go, which events it carries, its format or its secret would hand
// over records the editor may not read.
func (e Editor) mayRedirect(w *Webhook) error {
	if lack := e.missing(w.ReadScopes); len(lack) > 0 {
		return &ForbiddenError{Msg: "This webhook carries what " + strings.Join(lack, ", ") +
			" may read, which you do not hold; only someone who does may change its URL, events, format or secret"}
	}
	return nil
}

// WebhookPatch changes a webhook. Enabling it clears the failure streak.
type WebhookPatch struct {
	URL         *string   `json:"url"`
	Description *string   `json:"description"`
	Events      *[]string `json:"events"`
	Format      *string   `json:"format"`
	Enabled     *bool     `json:"enabled"`
	// By is the caller (set by the API). Changing the URL, events or format
	// needs an editor at least as strong as the webhook, who then owns it.
	By Editor `json:"-"`
}

// EventFilter says whether a webhook of a format can subscribe to a name.
type EventFilter func(format, event string) bool

// NewWebhook is a created webhook with its secret, shown this once.
type NewWebhook struct {
	Webhook
	Secret string `json:"secret"`
}

func (w *Webhook) validate(known EventFilter) error {
	var p Problems
	w.URL = strings.TrimSpace(w.URL)
	if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(w.URL) > 2000 {
		p.Add("url", "must be an absolute http or https URL without credentials")
	} else if _, ascii := WebhookHost(u.Hostname()); !ascii {
		p.Add("url", "must be an ASCII host name; write an international name in its xn-- form")
	}
	if utf8.RuneCountInString(w.Description) > 500 {
		p.Add("description", "must be at most 500 characters")
	}
	if len(w.Events) == 0 {
		p.Add("events", `must list at least one event name, or "*" for all`)
	}
	for _, e := range w.Events {
		if e != "*" && !known(w.Format, e) {
			p.Add("events", "unknown event "+e)
			break
		}
	}
	if !slices.Contains(WebhookFormats, w.Format) {
		p.Add("format", "must be one of "+strings.Join(WebhookFormats, ", "))
	}
	return p.Err()
}

// dedupe drops repeated event names. Names are kept exactly as given (an
// unknown spelling is refused by validate, never trimmed into a known one).
func dedupe(list []string) []string {
	out := make([]string, 0, len(list))
	for _, v := range list {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func (s *Store) getWebhook(tx *bolt.Tx, id uint64) (*webhookRecord, error) {
	v := tx.Bucket(bucketWebhooks).Get(itob(id))
	if v == nil {
		return nil, notFound("webhook")
	}
	return s.hooks.decode(v)
}

// webhookCache keeps decoded webhook records by their exact bytes: the
// sender reads a webhook for every request, and comparing a few hundred
// bytes is far cheaper than decoding them. Keyed by content, it can never
// serve a stale or uncommitted version.
type webhookCache struct {
	mu sync.Mutex
	m  map[string]*webhookRecord
}

func (c *webhookCache) decode(v []byte) (*webhookRecord, error) {
	c.mu.Lock()
	r, ok := c.m[string(v)]
	c.mu.Unlock()
	if !ok {
		r = new(webhookRecord)
		if err := json.Unmarshal(v, r); err != nil {
			return nil, err
		}
		c.mu.Lock()
		if c.m == nil || len(c.m) > 1024 {
			c.m = map[string]*webhookRecord{}
		}
		c.m[string(v)] = r
		c.mu.Unlock()
	}
	cp := *r // callers change fields by assignment; the cached value stays as decoded
	return &cp, nil
}

func putWebhook(tx *bolt.Tx, w *webhookRecord) error {
	raw, err := json.Marshal(w)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketWebhooks).Put(itob(w.ID), raw)
}

// CreateWebhook stores a subscription with its secret sealed. known says
// which event names exist (the caller knows the formats' aliases).
func (s *Store) CreateWebhook(ctx context.Context, in WebhookInput, secret string, sealer *Sealer, known EventFilter) (NewWebhook, error) {
	by := in.By.orSystem()
	w := Webhook{URL: in.URL, Description: strings.TrimSpace(in.Description), Events: dedupe(in.Events), Format: in.Format,
		Enabled: true, ReadScopes: ReadScopes(by.Scopes), Owner: by.Actor}
	if w.Format == "" {
		w.Format = "portal"
	}
	if in.Enabled != nil {
		w.Enabled = *in.Enabled
	}
	if err := w.validate(known); err != nil {
		return NewWebhook{}, err
	}
	sealed, err := sealer.Seal([]byte(secret))
	if err != nil {
		return NewWebhook{}, err
	}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		id, err := tx.Bucket(bucketWebhooks).NextSequence()
		if err != nil {
			return err
		}
		now := s.clock()
		w.ID, w.CreatedAt, w.UpdatedAt = id, now, now
		return putWebhook(tx, &webhookRecord{Webhook: w, Secret: sealed, FromSeq: tx.Bucket(bucketEvents).Sequence()})
	})
	return NewWebhook{Webhook: w, Secret: secret}, err
}

// Webhooks lists every subscription, oldest first.
func (s *Store) Webhooks() ([]Webhook, error) {
	out := []Webhook{}
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketWebhooks).ForEach(func(_, v []byte) error {
			var r webhookRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, r.Webhook)
			return nil
		})
	})
	return out, err
}

// Webhook returns one subscription.
func (s *Store) Webhook(id uint64) (Webhook, error) {
	var out Webhook
	err := s.view(func(tx *bolt.Tx) error {
		r, err := s.getWebhook(tx, id)
		if err == nil {
			out = r.Webhook
		}
		return err
	})
	return out, err
}

// WebhookSecrets returns the current secret and, within its grace period
// after a rotation, the previous one.
func (s *Store) WebhookSecrets(id uint64, sealer *Sealer) ([]string, error) {
	var r *webhookRecord
	err := s.view(func(tx *bolt.Tx) (err error) {
		r, err = s.getWebhook(tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return r.secrets(sealer, s.clock())
}

func (r *webhookRecord) secrets(sealer *Sealer, now time.Time) ([]string, error) {
	cur, err := sealer.Open(r.Secret)
	if err != nil {
		return nil, err
	}
	out := []string{string(cur)}
	if r.OldSecret != nil && r.OldSecretExpires != nil && now.Before(*r.OldSecretExpires) {
		old, err := sealer.Open(r.OldSecret)
		if err != nil {
			return nil, err
		}
		out = append(out, string(old))
	}
	return out, nil
}

// UpdateWebhook applies a patch.
func (s *Store) UpdateWebhook(ctx context.Context, id uint64, p WebhookPatch, known EventFilter) (Webhook, error) {
	var out Webhook
	err := s.update(ctx, func(tx *bolt.Tx) error {
		r, err := s.getWebhook(tx, id)
		if err != nil {
			return err
		}
		w := &r.Webhook
		redirects := (p.URL != nil && *p.URL != w.URL) || (p.Format != nil && *p.Format != w.Format) ||
			(p.Events != nil && !slices.Equal(dedupe(*p.Events), w.Events))
		if by := p.By.orSystem(); redirects {
			if err := by.mayRedirect(w); err != nil {
				return err
			}
			w.Owner, w.ReadScopes = by.Actor, ReadScopes(by.Scopes)
		}
		if p.URL != nil {
			w.URL = *p.URL
		}
		if p.Description != nil {
			w.Description = strings.TrimSpace(*p.Description)
		}
		if p.Events != nil {
			w.Events = dedupe(*p.Events)
		}
		if p.Format != nil {
			w.Format = *p.Format
		}
		if p.Enabled != nil {
			if *p.Enabled && !w.Enabled {
				w.ConsecutiveFailures, w.DisabledReason, w.PausedUntil = 0, "", nil
			}
			w.Enabled = *p.Enabled
		}
		if err := w.validate(known); err != nil {
			return err
		}
		w.UpdatedAt = s.clock()
		out = *w
		return putWebhook(tx, r)
	})
	return out, err
}

// RotateWebhookSecret replaces the secret; the old one stays valid for keepOld
// (formats that can carry two signatures send both meanwhile).
// Like a new URL, a new secret is only for an editor as strong as the webhook:
// whoever holds it can sign payloads the receiver trusts.
func (s *Store) RotateWebhookSecret(ctx context.Context, id uint64, by Editor, secret string, keepOld time.Duration, sealer *Sealer) (NewWebhook, error) {
	sealed, err := sealer.Seal([]byte(secret))
	if err != nil {
		return NewWebhook{}, err
	}
	var out NewWebhook
	err = s.update(ctx, func(tx *bolt.Tx) error {
		r, err := s.getWebhook(tx, id)
		if err != nil {
			return err
		}
		if err := by.orSystem().mayRedirect(&r.Webhook); err != nil {
			return err
		}
		now := s.clock()
		r.OldSecret, r.OldSecretExpires = nil, nil
		if keepOld > 0 {
			until := now.Add(keepOld)
			r.OldSecret, r.OldSecretExpires = r.Secret, &until
		}
		r.Secret, r.UpdatedAt = sealed, now
		out = NewWebhook{Webhook: r.Webhook, Secret: secret}
		return putWebhook(tx, r)
	})
	return out, err
}

// RevealWebhookSecret returns the current secret and logs, in the same
// transaction, that it was shown (webhook.secret_revealed names the webhook
// and, as every event does, who asked; never the secret).
func (s *Store) RevealWebhookSecret(ctx context.Context, id uint64, sealer *Sealer) (NewWebhook, error) {
	var out NewWebhook
	err := s.update(ctx, func(tx *bolt.Tx) error {
		r, err := s.getWebhook(tx, id)
		if err != nil {
			return err
		}
		secret, err := sealer.Open(r.Secret)
		if err != nil {
			return err
		}
		out = NewWebhook{Webhook: r.Webhook, Secret: string(secret)}
		_, err = s.appendEvent(tx, "webhook.secret_revealed", ordered{}.with("webhook_id", id))
		return err
	})
	return out, err
}

// DeleteWebhook removes a subscription. Its deliveries stay readable by id;
// queued ones end as failed ("webhook deleted").
func (s *Store) DeleteWebhook(ctx context.Context, id uint64) error {
	return s.update(ctx, func(tx *bolt.Tx) error { return s.deleteWebhookTx(tx, id) })
}

// deleteWebhookTx is DeleteWebhook inside the caller's transaction.
func (s *Store) deleteWebhookTx(tx *bolt.Tx, id uint64) error {
	{
		if _, err := s.getWebhook(tx, id); err != nil {
			return err
		}
		var queued []uint64
		prefix := itob(id)
		c := tx.Bucket(bucketQueueReady).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			queued = append(queued, binary.BigEndian.Uint64(k[16:]))
		}
		for _, seq := range queued {
			d, err := getDelivery(tx, seq)
			if err != nil {
				return err
			}
			if err := d.unschedule(tx); err != nil {
				return err
			}
			d.Status, d.LastError, d.UpdatedAt = DeliveryFailed, "webhook deleted", s.clock()
			if err := putDelivery(tx, d); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketWebhooks).Delete(itob(id))
	}
}
