package api

// The shop's mail server and the email log (mail/ sends; these routes set it
// up and show what was sent). Each store has its own settings: in test mode
// the test store's, which start empty, so a test never mails through live's.

import (
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/gorilla/mux"

	portalmail "portal/mail"
	"portal/store"
)

func (s *Server) emailRoutes() []route {
	const res = "store"
	return []route{
		{method: "GET", path: "/store/email", scope: readScope(res), handle: s.getEmailSettings, summary: "The shop's mail server (the password is never shown: password_set says whether there is one)", out: store.EmailSettings{}},
		// Whoever picks the mail server reads every customer email and the
		// links in them: as much as making those links takes.
		{method: "PATCH", path: "/store/email", scope: writeScope(res), also: portalLinkScopes, handle: s.updateEmailSettings, summary: "Change the shop's mail server (password: write-only, sealed; \"\" removes it)", in: store.EmailSettingsPatch{}, out: store.EmailSettings{}},
		{method: "POST", path: "/store/email/test", scope: writeScope(res), handle: s.sendTestEmail, summary: "Send a test email now through the shop's mail server; answers the server's reply or what failed", in: testEmailInput{}, out: testEmailResult{}},
		// The log names customers' addresses: customers.read as well as store.read.
		{method: "GET", path: "/emails", scope: readScope(res), also: alsoRead("customers"), handle: s.listEmails, summary: "The email log, newest first: each email to a customer with its attempts and the server's replies", out: []store.Email{}, list: &listSpec{}},
		{method: "GET", path: "/emails/{id}", scope: readScope(res), also: alsoRead("customers"), handle: s.getEmail, summary: "One email of the log with every attempt", out: store.Email{}},
	}
}

type testEmailInput struct {
	To string `json:"to"`
}

// testEmailResult is what the mail server said. A refusal is an answer, not
// an API error: the request did what it was asked, which was to try.
type testEmailResult struct {
	Sent  bool   `json:"sent"`
	Reply string `json:"reply"`
	Error string `json:"error,omitempty"`
}

func (s *Server) getEmailSettings(w http.ResponseWriter, r *http.Request, p *Principal) error {
	set, err := p.Store.EmailSettings()
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, set)
}

func (s *Server) updateEmailSettings(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var patch store.EmailSettingsPatch
	if err := decode(r, &patch); err != nil {
		return err
	}
	set, err := p.Store.UpdateEmailSettings(r.Context(), patch, s.cfg.Sealer)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, set)
}

func (s *Server) sendTestEmail(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in testEmailInput
	if err := decode(r, &in); err != nil {
		return err
	}
	in.To = strings.TrimSpace(in.To)
	if a, err := mail.ParseAddress(in.To); err != nil || a.Address != in.To || !strings.Contains(in.To, ".") {
		return validation("to", "must be an email address such as you@example.com")
	}
	set, err := p.Store.SMTPSettings(s.cfg.Sealer)
	if err != nil {
		return err
	}
	if !set.Configured() {
		return store.Conflict("no mail server is set up: set host and from first")
	}
	shop, err := p.Store.Shop()
	if err != nil {
		return err
	}
	msg := portalmail.Message{To: in.To, Subject: "Test email from " + shop.Name,
		Text: "This is a test email from " + shop.Name + ": your mail server settings work.\n"}
	reply, err := portalmail.Send(r.Context(), set, msg, s.mailTimeout())
	out := testEmailResult{Sent: err == nil, Reply: reply}
	if err != nil {
		out.Error = err.Error()
	}
	return ok(w, http.StatusOK, out)
}

// mailTimeout bounds the test email's conversation (the request waits on it).
func (s *Server) mailTimeout() time.Duration {
	if s.cfg.Mail != nil {
		return min(s.cfg.Mail.Timeout(), 20*time.Second)
	}
	return 20 * time.Second
}

func (s *Server) listEmails(w http.ResponseWriter, r *http.Request, p *Principal) error {
	lp, err := pageParams(r)
	if err != nil {
		return err
	}
	page, err := p.Store.Emails(lp.Page, lp.PerPage)
	if err != nil {
		return err
	}
	return okPage(w, page, lp)
}

func (s *Server) getEmail(w http.ResponseWriter, r *http.Request, p *Principal) error {
	e, err := p.Store.EmailByID(mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, e)
}
