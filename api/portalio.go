package api

import (
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"portal/hooks"
	"portal/store"
)

// The Portal.io-style subscription API (API.md): the same webhooks, always
// in the portalio format, answered as Portal.io answers — plain JSON, no
// envelope — and authenticated by Portal.io's request signing.

const mssClockSkew = 5 * time.Minute

func (s *Server) bindPortalio(r *mux.Router) {
	pub := r.PathPrefix("/public/webhook").Subrouter()
	pub.Handle("/subscribe", s.mss(writeScope("webhooks"), s.pioSubscribe)).Methods(http.MethodPost)
	pub.Handle("/subscriptions", s.mss(readScope("webhooks"), s.pioList)).Methods(http.MethodGet)
	pub.Handle("/subscription/{id}", s.mss(writeScope("webhooks"), s.pioUpdate)).Methods(http.MethodPost)
	pub.Handle("/unsubscribe/{id}", s.mss(writeScope("webhooks"), s.pioDelete)).Methods(http.MethodDelete)
}

// pioError is Portal.io's error answer.
type pioError struct {
	status int
	msg    string
}

func (e *pioError) Error() string { return e.msg }

func pioFail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": msg, "status": status})
}

// mss authenticates X-MSS request signing, then checks scope and rate limit.
func (s *Server) mss(scope string, h func(http.ResponseWriter, *http.Request, *Principal) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.verifyMSS(r)
		if err != nil {
			pioFail(w, http.StatusUnauthorized, err.Error())
			return
		}
		if !p.Can(scope) {
			pioFail(w, http.StatusForbidden, "this user key lacks the "+scope+" scope")
			return
		}
		if !s.limiter.allow(w, p.KeyID, p.Tier) {
			pioFail(w, http.StatusTooManyRequests, "rate limit exceeded; retry after "+w.Header().Get("Retry-After")+" s")
			return
		}
		if err := h(w, r.WithContext(store.WithActor(r.Context(), p.actor())), p); err != nil {
			var pe *pioError
			var ve *store.ValidationError
			var nf *store.NotFoundError
			var fe *store.ForbiddenError
			switch {
			case errors.As(err, &pe):
				pioFail(w, pe.status, pe.msg)
			case errors.As(err, &fe):
				pioFail(w, http.StatusForbidden, fe.Msg)
			case errors.As(err, &ve):
				pioFail(w, http.StatusBadRequest, ve.Error())
			case errors.As(err, &nf):
				pioFail(w, http.StatusNotFound, "subscription not found")
			default:
				fail(w, r, err) // logs it; a 500 in our envelope
			}
		}
	})
}

func (s *Server) verifyMSS(r *http.Request) (*Principal, error) {
	appID, userKey := r.Header.Get("X-MSS-API-APPID"), r.Header.Get("X-MSS-API-USERKEY")
	date, sig := r.Header.Get("X-MSS-CUSTOM-DATE"), r.Header.Get("X-MSS-SIGNATURE")
	if appID == "" || userKey == "" || date == "" || sig == "" {
		return nil, errors.New("missing X-MSS-API-APPID, X-MSS-API-USERKEY, X-MSS-CUSTOM-DATE or X-MSS-SIGNATURE")
	}
	at, err := http.ParseTime(date)
	if err != nil {
		return nil, errors.New("X-MSS-CUSTOM-DATE must be an RFC 7231 date such as Mon, 06 Apr 2026 00:22:19 GMT")
	}
	if skew := s.cfg.Now().Sub(at); skew > mssClockSkew || skew < -mssClockSkew {
		return nil, errors.New("X-MSS-CUSTOM-DATE is more than 5 minutes off; check the client's clock")
	}
	secret, err := s.cfg.Live.AppSecret(appID, s.cfg.Sealer)
	if err != nil {
		return nil, errors.New("unknown app id")
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return nil, errors.New("X-MSS-SIGNATURE is not base64")
	}
	contentType := r.Header.Get("Content-Type")
	path := r.URL.EscapedPath()
	// The client signs the URL it addressed; behind a TLS-terminating proxy
	// that may be https while we see http, so either scheme is accepted.
	valid := false
	for _, scheme := range []string{"https", "http"} {
		canonical := hooks.MSSCanonical(r.Method, scheme+"://"+r.Host+path, contentType, date, userKey)
		want, _ := base64.StdEncoding.DecodeString(hooks.MSSSign(string(secret), canonical))
		valid = valid || hmac.Equal(got, want)
	}
	if !valid {
		return nil, errors.New("X-MSS-SIGNATURE does not match the request")
	}
	k, err := s.cfg.Live.Authenticate(userKey)
	if err != nil || k.Type != store.KeyUser {
		return nil, errors.New("X-MSS-API-USERKEY is not a valid user key")
	}
	return s.keyPrincipal(k), nil
}

// subscription is Portal.io's view of a webhook.
type subscription struct {
	SubscriptionID uint64   `json:"subscriptionId"`
	URL            string   `json:"url"`
	Description    string   `json:"description"`
	Enabled        bool     `json:"enabled"`
	SecretKey      string   `json:"secretKey"`
	Events         []string `json:"events"`
}

// pioInput reads Portal.io's form fields (Url, Events comma-separated,
// Description, Enabled) or the JSON spelling (url, events array, …).
type pioInput struct {
	URL         *string   `json:"url"`
	Events      *[]string `json:"events"`
	Description *string   `json:"description"`
	Enabled     *bool     `json:"enabled"`
}

func readPioInput(r *http.Request) (pioInput, error) {
	var in pioInput
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/json" {
		if err := decode(r, &in); err != nil {
			var ae *apiError
			if errors.As(err, &ae) {
				return in, &pioError{http.StatusBadRequest, ae.Message}
			}
			return in, err
		}
		return in, nil
	}
	if err := r.ParseForm(); err != nil {
		return in, &pioError{http.StatusBadRequest, "the body must be form-encoded or JSON"}
	}
	if err := pioFormText(r.PostForm); err != nil {
		return in, err
	}
	// Portal.io spells fields Url, Events…; any case is taken, but one field
	// given twice (Url=a&url=b) is refused rather than picked at random.
	given := map[string]string{}
	for k, v := range r.PostForm {
		name := strings.ToLower(k)
		if _, twice := given[name]; twice || len(v) > 1 {
			return in, &pioError{http.StatusBadRequest, k + " is given twice"}
		}
		if len(v) == 1 {
			given[name] = v[0]
		}
	}
	field := func(name string) *string {
		if v, ok := given[name]; ok {
			return &v
		}
		return nil
	}
	in.URL, in.Description = field("url"), field("description")
	if ev := field("events"); ev != nil {
		// Parsing Portal.io's comma-separated list, before any check: the
		// names themselves are then matched exactly.
		list := strings.Split(*ev, ",")
		for i := range list {
			list[i] = strings.TrimSpace(list[i])
		}
		in.Events = &list
	}
	if en := field("enabled"); en != nil {
		b, err := strconv.ParseBool(*en)
		if err != nil {
			return in, &pioError{http.StatusBadRequest, "Enabled must be true or false"}
		}
		in.Enabled = &b
	}
	return in, nil
}

// pioView shows a subscription as Portal.io does, its secret included (seed
// 003 lists it) — but only to a key at least as strong as the subscription:
// with the secret a weaker key could sign payloads its receiver trusts.
func (s *Server) pioView(p *Principal, w store.Webhook) (subscription, error) {
	view := subscription{SubscriptionID: w.ID, URL: w.URL, Description: w.Description, Enabled: w.Enabled, Events: w.Events}
	if !p.covers(w.ReadScopes) {
		return view, nil
	}
	secrets, err := p.Store.WebhookSecrets(w.ID, s.cfg.Sealer)
	if err != nil {
		return subscription{}, err
	}
	view.SecretKey = secrets[0]
	return view, nil
}

func (s *Server) pioSubscribe(w http.ResponseWriter, r *http.Request, p *Principal) error {
	in, err := readPioInput(r)
	if err != nil {
		return err
	}
	create := store.WebhookInput{Format: "portalio", Enabled: in.Enabled, By: p.editor()}
	if in.URL != nil {
		create.URL = *in.URL
		if err := s.checkURL(r, create.URL); err != nil {
			return &pioError{http.StatusBadRequest, err.Error()}
		}
	}
	if in.Events != nil {
		create.Events = *in.Events
	}
	if err := p.pioCheckSubscribable(create.Events); err != nil {
		return err
	}
	if in.Description != nil {
		create.Description = *in.Description
	}
	secret, err := hooks.NewSecret("portalio")
	if err != nil {
		return err
	}
	hook, err := p.Store.CreateWebhook(r.Context(), create, secret, s.cfg.Sealer, hooks.KnownEvent)
	if err != nil {
		return err
	}
	view, err := s.pioView(p, hook.Webhook)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, view)
	return nil
}

func (s *Server) pioList(w http.ResponseWriter, r *http.Request, p *Principal) error {
	all, err := p.Store.Webhooks()
	if err != nil {
		return err
	}
	out := []subscription{}
	for _, h := range all {
		if h.Format != "portalio" {
			continue
		}
		view, err := s.pioView(p, h)
		if err != nil {
			return err
		}
		out = append(out, view)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// pioWebhook returns the portalio webhook named by the path.
func (s *Server) pioWebhook(r *http.Request, p *Principal) (store.Webhook, error) {
	id, err := strconv.ParseUint(mux.Vars(r)["id"], 10, 64)
	if err != nil {
		return store.Webhook{}, &store.NotFoundError{What: "subscription"}
	}
	h, err := p.Store.Webhook(id)
	if err == nil && h.Format != "portalio" {
		err = &store.NotFoundError{What: "subscription"}
	}
	return h, err
}

func (s *Server) pioUpdate(w http.ResponseWriter, r *http.Request, p *Principal) error {
	h, err := s.pioWebhook(r, p)
	if err != nil {
		return err
	}
	in, err := readPioInput(r)
	if err != nil {
		return err
	}
	if in.URL != nil {
		if err := s.checkURL(r, *in.URL); err != nil {
			return &pioError{http.StatusBadRequest, err.Error()}
		}
	}
	if in.URL != nil || in.Events != nil {
		events := h.Events
		if in.Events != nil {
			events = *in.Events
		}
		if err := p.pioCheckSubscribable(events); err != nil {
			return err
		}
	}
	h, err = p.Store.UpdateWebhook(r.Context(), h.ID, store.WebhookPatch{URL: in.URL, Description: in.Description,
		Events: in.Events, Enabled: in.Enabled, By: p.editor()}, hooks.KnownEvent)
	if err != nil {
		return err
	}
	if s.cfg.Hooks != nil && h.Enabled {
		s.cfg.Hooks.Kick()
	}
	view, err := s.pioView(p, h)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, view)
	return nil
}

func (s *Server) pioDelete(w http.ResponseWriter, r *http.Request, p *Principal) error {
	h, err := s.pioWebhook(r, p)
	if err != nil {
		return err
	}
	if err := p.Store.DeleteWebhook(r.Context(), h.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"subscriptionId": h.ID, "deleted": true})
	return nil
}
