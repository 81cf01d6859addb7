package store

// The shop's outgoing mail server (PATCH /store/email). Each store keeps its
// own, so the test store sends nothing until the shop sets one up in test mode.

import (
	"context"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

var keyEmail = []byte("email")

// Email security modes: STARTTLS after connecting, TLS from the first byte
// (port 465), or none (a relay on the shop's own network).
const (
	SecuritySTARTTLS = "starttls"
	SecurityTLS      = "tls"
	SecurityNone     = "none"
)

// EmailSettings is the mail server as the API shows it: the password never
// leaves the store, PasswordSet says whether there is one.
type EmailSettings struct {
	Host        string `json:"host"`
	Port        int    `json:"port"`
	Security    string `json:"security"`
	Username    string `json:"username"`
	PasswordSet bool   `json:"password_set"`
	From        string `json:"from"`
}

// Configured reports whether mail can be sent: a host and a from address.
func (e EmailSettings) Configured() bool { return e.Host != "" && e.From != "" }

// SMTPSettings is what a sender needs, the password opened. It never
// reaches an answer or a log line.
type SMTPSettings struct {
	EmailSettings
	Password string
}

// EmailSettingsPatch changes some fields. Password: absent keeps it, ""
// removes it, anything else replaces it.
type EmailSettingsPatch struct {
	Host     *string `json:"host"`
	Port     *int    `json:"port"`
	Security *string `json:"security"`
	Username *string `json:"username"`
	Password *string `json:"password"`
	From     *string `json:"from"`
}

// emailSettingsRecord is the settings as kept: the password sealed.
type emailSettingsRecord struct {
	EmailSettings
	Sealed []byte `json:"password_sealed,omitempty"`
}

func defaultEmail() emailSettingsRecord {
	return emailSettingsRecord{EmailSettings: EmailSettings{Port: 587, Security: SecuritySTARTTLS}}
}

// EmailSettings returns the mail server settings, without the password.
func (s *Store) EmailSettings() (EmailSettings, error) {
	var r emailSettingsRecord
	err := s.view(func(tx *bolt.Tx) (err error) { r, err = getJSON(tx, keyEmail, defaultEmail()); return })
	r.PasswordSet = len(r.Sealed) > 0
	return r.EmailSettings, err
}

// SMTPSettings returns the settings with the password opened, for sending.
func (s *Store) SMTPSettings(sealer *Sealer) (SMTPSettings, error) {
	var r emailSettingsRecord
	if err := s.view(func(tx *bolt.Tx) (err error) { r, err = getJSON(tx, keyEmail, defaultEmail()); return }); err != nil {
		return SMTPSettings{}, err
	}
	out := SMTPSettings{EmailSettings: r.EmailSettings}
	out.PasswordSet = len(r.Sealed) > 0
	if out.PasswordSet {
		if sealer == nil {
			return out, fmt.Errorf("the mail password is sealed and no seal key was given")
		}
		p, err := sealer.Open(r.Sealed)
		if err != nil {
			return out, fmt.Errorf("opening the mail password: %w", err)
		}
		out.Password = string(p)
	}
	return out, nil
}

// UpdateEmailSettings applies a patch, sealing a new password, and records
// store.updated naming the fields that changed (a password only as
// password_set, never its value).
func (s *Store) UpdateEmailSettings(ctx context.Context, p EmailSettingsPatch, sealer *Sealer) (EmailSettings, error) {
	if err := p.validate(); err != nil {
		return EmailSettings{}, err
	}
	var sealed []byte
	if p.Password != nil && *p.Password != "" {
		if sealer == nil {
			return EmailSettings{}, fmt.Errorf("no seal key to keep the mail password")
		}
		var err error
		if sealed, err = sealer.Seal([]byte(*p.Password)); err != nil {
			return EmailSettings{}, err
		}
	}
	var out EmailSettings
	err := s.update(ctx, func(tx *bolt.Tx) error {
		r, err := getJSON(tx, keyEmail, defaultEmail())
		if err != nil {
			return err
		}
		r.PasswordSet = len(r.Sealed) > 0
		changes := ordered{}
		changes.text("host", &r.Host, p.Host)
		changes.text("security", &r.Security, p.Security)
		changes.text("username", &r.Username, p.Username)
		changes.text("from", &r.From, p.From)
		if p.Port != nil && *p.Port != r.Port {
			changes = changes.with("port", change{r.Port, *p.Port})
			r.Port = *p.Port
		}
		// The password belongs to the server and login it was given for: a
		// new server or login without a new password drops it, so nobody can
		// point the appliance at their own server and collect it.
		if p.Password == nil && r.PasswordSet && len(changes) > 0 && !onlyFromChanged(changes) {
			empty := ""
			p.Password = &empty
		}
		if p.Password != nil {
			r.Sealed = sealed // nil when "" clears it
			changes = changes.with("password_set", change{r.PasswordSet, len(sealed) > 0})
			r.PasswordSet = len(sealed) > 0
		}
		if r.Host != "" && r.From == "" {
			return Invalid("from", "is needed to send mail through "+r.Host)
		}
		out = r.EmailSettings
		if len(changes) == 0 {
			return nil
		}
		if err := putJSON(tx, keyEmail, r); err != nil {
			return err
		}
		_, err = s.appendEvent(tx, "store.updated", ordered{}.with("store_id", 1).with("changes", ordered{}.with("email", changes)))
		return err
	})
	return out, err
}

// onlyFromChanged reports whether the sender address is all that changed:
// it does not move the password anywhere.
func onlyFromChanged(changes ordered) bool {
	for _, kv := range changes {
		if kv.k != "from" {
			return false
		}
	}
	return true
}

func (p EmailSettingsPatch) validate() error {
	var pr Problems
	if p.Host != nil {
		if h := strings.TrimSpace(*p.Host); h != "" && !validHost(h) {
			pr.Add("host", "must be a host name or an IP address, such as smtp.example.com")
		}
	}
	if p.Port != nil && (*p.Port < 1 || *p.Port > 65535) {
		pr.Add("port", "must be a port from 1 to 65535")
	}
	if p.Security != nil {
		switch strings.TrimSpace(*p.Security) {
		case SecuritySTARTTLS, SecurityTLS, SecurityNone:
		default:
			pr.Add("security", "must be starttls, tls or none")
		}
	}
	if p.Username != nil && utf8.RuneCountInString(*p.Username) > 200 {
		pr.Add("username", "must be at most 200 characters")
	}
	if p.Password != nil && (len(*p.Password) > 500 || strings.ContainsAny(*p.Password, "\r\n")) {
		pr.Add("password", "must be at most 500 characters on one line")
	}
	if p.From != nil && strings.TrimSpace(*p.From) != "" {
		if a, err := mail.ParseAddress(strings.TrimSpace(*p.From)); err != nil || !strings.Contains(a.Address, ".") || len(*p.From) > 300 {
			pr.Add("from", `must be an email address, such as shop@example.com or "My Shop <shop@example.com>"`)
		}
	}
	return pr.Err()
}

// validHost accepts an IP address or a DNS name (letters, digits, '-', '_'
// and dots): the shop's own choice, a relay on its LAN included.
func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if len(h) > 253 || strings.HasPrefix(h, ".") || strings.HasPrefix(h, "-") || strings.Contains(h, "..") {
		return false
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return false
		}
	}
	return true
}
