package mail

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"portal/store"
)

// Message is one rendered email.
type Message struct {
	From, To, Subject string
	Text, HTML        string
	// MessageID is the same on every attempt at one email, so a receiver
	// can tell a resend after a crash from a second email.
	MessageID string
}

// SendError is a failed conversation with the mail server.
type SendError struct {
	Err error
	// Code is the server's reply code (0: no reply, such as a refused
	// connection). A 5xx reply is permanent: the same email will never go.
	Code int
}

func (e *SendError) Error() string { return e.Err.Error() }
func (e *SendError) Unwrap() error { return e.Err }

// Permanent reports whether err is a refusal that a retry cannot change.
func Permanent(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Code >= 500 && se.Code < 600
}

// maxReply bounds what is kept of a server's words (a reply or an error):
// enough to read, never a page.
const maxReply = 500

// Send delivers msg through the shop's server in one conversation bounded by
// timeout, and returns the server's reply to the message ("250 2.0.0 Ok:
// queued as …"). The password goes to the server only; errors never hold it.
func Send(ctx context.Context, set store.SMTPSettings, msg Message, timeout time.Duration) (string, error) {
	if !set.Configured() {
		return "", &SendError{Err: errors.New("no mail server is set up")}
	}
	opts := []gomail.Option{gomail.WithPort(set.Port), gomail.WithTimeout(timeout), gomail.WithHELO(heloName(set.From))}
	switch set.Security {
	case store.SecurityTLS:
		opts = append(opts, gomail.WithSSL())
	case store.SecurityNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if set.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(set.Username), gomail.WithPassword(set.Password))
	}
	client, err := gomail.NewClient(set.Host, opts...)
	if err != nil {
		return "", &SendError{Err: err}
	}
	m := gomail.NewMsg()
	if err := m.From(set.From); err != nil {
		return "", &SendError{Err: fmt.Errorf("from: %w", err), Code: 550}
	}
	if err := m.To(msg.To); err != nil {
		return "", &SendError{Err: fmt.Errorf("to: %w", err), Code: 550}
	}
	m.Subject(msg.Subject)
	m.SetDate()
	if msg.MessageID != "" {
		m.SetMessageIDWithValue(msg.MessageID)
	} else {
		m.SetMessageID()
	}
	m.SetBodyString(gomail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err = client.DialAndSendWithContext(ctx, m)
	if err != nil && !m.HasSendError() && m.ServerResponse() != "" {
		err = nil // accepted; only the goodbye (QUIT) failed
	}
	if err != nil {
		code := 0
		var se *gomail.SendError
		if errors.As(err, &se) {
			code = se.ErrorCode()
		}
		return "", &SendError{Err: errors.New(clip(err.Error())), Code: code}
	}
	// go-mail keeps the words after the code; a message accepted is a 250.
	return clip("250 " + m.ServerResponse()), nil
}

// heloName is the from address's domain: some servers refuse "localhost".
func heloName(from string) string {
	if a, err := mail.ParseAddress(from); err == nil {
		if _, domain, ok := strings.Cut(a.Address, "@"); ok {
			return domain
		}
	}
	return "localhost"
}

func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxReply {
		s = s[:maxReply] + "…"
	}
	return s
}
