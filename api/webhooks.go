package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/gorilla/mux"

	"portal/hooks"
	"portal/store"
)

func (s *Server) webhookRoutes() []route {
	const res = "webhooks"
	return []route{
		{method: "GET", path: "/webhooks", scope: readScope(res), handle: s.listWebhooks, summary: "List webhooks (never their secrets)", out: []store.Webhook{}, list: &listSpec{}},
		{method: "POST", path: "/webhooks", scope: writeScope(res), handle: s.createWebhook, summary: "Create a webhook; its secret is shown in this response only", in: store.WebhookInput{}, out: store.NewWebhook{}, status: http.StatusCreated},
		{method: "GET", path: "/webhooks/{id}", scope: readScope(res), handle: s.getWebhook, summary: "One webhook", out: store.Webhook{}},
		{method: "PATCH", path: "/webhooks/{id}", scope: writeScope(res), handle: s.updateWebhook, summary: "Change a webhook; enabling it again clears its failure streak", in: store.WebhookPatch{}, out: store.Webhook{}},
		{method: "DELETE", path: "/webhooks/{id}", scope: writeScope(res), handle: s.deleteWebhook, summary: "Delete a webhook", out: deleted{}},
		{method: "POST", path: "/webhooks/{id}/test", scope: writeScope(res), handle: s.testWebhook, summary: "Send a sample event now; the answer holds the attempt", in: testInput{}, out: store.DeliveryDetail{}},
		{method: "POST", path: "/webhooks/{id}/reveal-secret", scope: writeScope(res), handle: s.revealSecret, summary: "Show the webhook's current secret again (the owner only; the reveal is logged as webhook.secret_revealed, without the secret)", out: store.NewWebhook{}, ownerOnly: true},
		{method: "POST", path: "/webhooks/{id}/rotate-secret", scope: writeScope(res), handle: s.rotateSecret, summary: "Replace the secret; the old one stays valid 24 h (or expire_old_in seconds) where the format can carry two signatures", in: rotateInput{}, out: store.NewWebhook{}},
		{method: "GET", path: "/webhooks/{id}/deliveries", scope: readScope(res), handle: s.listDeliveries, summary: "A webhook's deliveries, newest first", out: []store.Delivery{}, list: &listSpec{}},
		{method: "GET", path: "/deliveries/{id}", scope: readScope(res), handle: s.getDelivery, summary: "A delivery with its payload and every attempt", out: store.DeliveryDetail{}},
		{method: "POST", path: "/deliveries/{id}/redeliver", scope: writeScope(res), handle: s.redeliver, summary: "Send a delivery again now", out: store.DeliveryDetail{}},
	}
}

type testInput struct {
	Event string `json:"event"` // default: the webhook's first event (see sampleEvent; ticket.created for "*")
}

type rotateInput struct {
	ExpireOldIn *int64 `json:"expire_old_in"` // seconds the old secret stays valid; default 86400
}

const defaultSecretOverlap = 24 * time.Hour

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, p *Principal) error {
	list, err := p.Store.Webhooks()
	if err != nil {
		return err
	}
	return okSlice(w, r, list)
}

// checkURL refuses receivers on private and local networks outside the sandbox.
func (s *Server) checkURL(r *http.Request, url string) error {
	if err := hooks.CheckURL(r.Context(), url, s.cfg.Sandbox); errors.Is(err, hooks.ErrForbiddenAddress) {
		return validation("url", "must not point to a private, loopback or link-local address ("+err.Error()+"); loopback is allowed with serve --sandbox")
	}
	return nil
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in store.WebhookInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Format == "" {
		in.Format = "portal"
	}
	in.By = p.editor()
	if !slices.Contains(store.WebhookFormats, in.Format) {
		return validation("format", "must be one of portal, portalio, porter, standard")
	}
	if err := s.checkURL(r, in.URL); err != nil {
		return err
	}
	if err := p.checkSubscribable(in.Format, in.Events); err != nil {
		return err
	}
	secret, err := hooks.NewSecret(in.Format)
	if err != nil {
		return err
	}
	hook, err := p.Store.CreateWebhook(r.Context(), in, secret, s.cfg.Sealer, hooks.KnownEvent)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, hook)
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	hook, err := p.Store.Webhook(id)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, hook)
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	if err := s.checkPluginWebhook(p, id); err != nil {
		return err
	}
	var patch store.WebhookPatch
	if err := decode(r, &patch); err != nil {
		return err
	}
	if patch.URL != nil {
		if err := s.checkURL(r, *patch.URL); err != nil {
			return err
		}
	}
	if err := s.checkPatchSubscribable(p, id, patch.URL != nil || patch.Format != nil, patch.Events, patch.Format); err != nil {
		return err
	}
	patch.By = p.editor()
	hook, err := p.Store.UpdateWebhook(r.Context(), id, patch, hooks.KnownEvent)
	if err != nil {
		return err
	}
	if s.cfg.Hooks != nil && hook.Enabled {
		s.cfg.Hooks.Kick()
	}
	return ok(w, http.StatusOK, hook)
}

// checkPatchSubscribable: a change of URL, format or events makes the
// caller the webhook's owner, so what it will carry is checked against them.
func (s *Server) checkPatchSubscribable(p *Principal, id uint64, redirects bool, events *[]string, format *string) error {
	if !redirects && events == nil {
		return nil
	}
	hook, err := p.Store.Webhook(id)
	if err != nil || !p.covers(hook.ReadScopes) {
		return err // a weaker caller is refused by the store, as a 403
	}
	if events != nil {
		hook.Events = *events
	}
	if format != nil {
		hook.Format = *format
	}
	return p.checkSubscribable(hook.Format, hook.Events)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	if err := s.checkPluginWebhook(p, id); err != nil {
		return err
	}
	if err := p.Store.DeleteWebhook(r.Context(), id); err != nil {
		return err
	}
	return ok(w, http.StatusOK, deleted{ID: id, Deleted: true})
}

func (s *Server) rotateSecret(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	if err := s.checkPluginWebhook(p, id); err != nil {
		return err
	}
	var in rotateInput
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	keep := defaultSecretOverlap
	if in.ExpireOldIn != nil {
		if *in.ExpireOldIn < 0 || *in.ExpireOldIn > 7*86400 {
			return validation("expire_old_in", "must be from 0 to 604800 seconds")
		}
		keep = time.Duration(*in.ExpireOldIn) * time.Second
	}
	hook, err := p.Store.Webhook(id)
	if err != nil {
		return err
	}
	secret, err := hooks.NewSecret(hook.Format)
	if err != nil {
		return err
	}
	rotated, err := p.Store.RotateWebhookSecret(r.Context(), id, p.editor(), secret, keep, s.cfg.Sealer)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, rotated)
}

// revealSecret shows the secret again, as Porter's docs send users to
// Settings → Webhooks to find it; the log says who looked.
func (s *Server) revealSecret(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	if err := s.checkPluginWebhook(p, id); err != nil {
		return err
	}
	hook, err := p.Store.RevealWebhookSecret(r.Context(), id, s.cfg.Sealer)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, hook)
}

func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var in testInput
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	hook, err := p.Store.Webhook(id)
	if err != nil {
		return err
	}
	name := in.Event
	if name == "" {
		name = sampleEvent(hook)
	} else if !store.KnownEvent(name) {
		return validation("event", "is not an event name")
	}
	leased, err := p.Store.TestDelivery(r.Context(), id, name, hooks.SampleData(name), s.cfg.Sealer)
	if err != nil {
		return err
	}
	return s.sendNow(w, r, p, leased)
}

// sampleEvent is the event "Send test" sends by default: the webhook's first
// event, where an area ("ticket.*") or a Portal.io type name stands for the
// first event it covers, so the sample is one the receiver subscribed to.
func sampleEvent(hook store.Webhook) string {
	for _, e := range hook.Events {
		if store.KnownEvent(e) {
			return e
		}
		one := store.Webhook{Format: hook.Format, Events: []string{e}}
		if i := slices.IndexFunc(store.EventNames, func(name string) bool { return hooks.Subscribed(&one, name) }); i >= 0 {
			return store.EventNames[i]
		}
	}
	return "ticket.created"
}

func (s *Server) redeliver(w http.ResponseWriter, r *http.Request, p *Principal) error {
	leased, err := p.Store.Redelivery(mux.Vars(r)["id"], s.cfg.Sealer)
	if err != nil {
		return err
	}
	return s.sendNow(w, r, p, leased)
}

func (s *Server) sendNow(w http.ResponseWriter, r *http.Request, p *Principal, leased store.Leased) error {
	if s.cfg.Hooks == nil {
		return newError(http.StatusServiceUnavailable, "UNAVAILABLE", "Webhook delivery is not running")
	}
	// The attempt ends and is recorded even if our caller leaves meanwhile
	// (the engine's client has its own timeout): a delivery is never left
	// pending because a browser tab was closed.
	d, _, err := s.cfg.Hooks.SendNow(context.WithoutCancel(r.Context()), p.Store, leased)
	if err != nil {
		return err
	}
	detail, err := p.Store.DeliveryDetail(d.ID)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, p.redact(detail))
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	lp, err := pageParams(r)
	if err != nil {
		return err
	}
	page, err := p.Store.WebhookDeliveries(id, lp.Page, lp.PerPage)
	if err != nil {
		return err
	}
	return okPage(w, page, lp)
}

func (s *Server) getDelivery(w http.ResponseWriter, r *http.Request, p *Principal) error {
	d, err := p.Store.DeliveryDetail(mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, p.redact(d))
}

// redact hides what a delivery carries from a reader who may not read the
// event's record (webhooks.read alone is not customers.read).
func (p *Principal) redact(d store.DeliveryDetail) store.DeliveryDetail {
	if d.Test || p.canSeeEvent(d.Event) {
		return d
	}
	d.Payload = nil
	attempts := make([]store.Attempt, len(d.Attempts))
	for i, a := range d.Attempts {
		a.RequestBody = nil
		attempts[i] = a
	}
	d.Attempts = attempts
	return d
}
