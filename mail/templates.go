package mail

// The emails' words: one default template per kind, plain text and a simple
// HTML part, in Go's text/template and html/template (which escapes every
// value, so a customer's name cannot add markup). They are built in, not
// editable per shop (yet). They read only Data — the values the consumer
// took from the event (never internal notes) — the shop's details and the
// customer's link.

import (
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"

	"portal/store"
)

// Kinds of email.
const (
	KindStatus  = "status"  // a ticket reached a status that notifies
	KindQuote   = "quote"   // a proposal was submitted to the customer
	KindReceipt = "receipt" // a payment was received
)

// view is what a template sees.
type view struct {
	Shop store.Shop
	Link string
	D    map[string]string
}

var subjects = map[string]string{
	KindStatus:  `Your repair is {{.D.status}}`,
	KindQuote:   `Your quote from {{.Shop.Name}}: {{.D.proposal_name}}`,
	KindReceipt: `Receipt: {{.D.amount}} for repair #{{.D.ticket_number}}`,
}

const textTop = `Hello {{.D.customer_name}},

`

var bodies = map[string]string{
	KindStatus: `Your repair #{{.D.ticket_number}}{{with .D.device}} ({{.}}){{end}} is now: {{.D.status}}.`,
	KindQuote:  `We have prepared quote #{{.D.proposal_number}}, "{{.D.proposal_name}}"{{with .D.total}}, for {{.}}{{end}}. Please look it over and accept or decline it online.`,
	KindReceipt: `Thank you: we received your payment of {{.D.amount}}{{with .D.method}} ({{.}}){{end}} for repair #{{.D.ticket_number}}.` +
		`{{with .D.balance}} Balance remaining: {{.}}.{{end}}`,
}

const textBottom = `
{{with .Link}}
See it online: {{.}}
{{end}}
{{.Shop.Name}}{{with .Shop.Phone}}
Phone: {{.}}{{end}}{{with .Shop.Hours}}
Hours: {{.}}{{end}}{{with .Shop.Address}}
{{.}}{{end}}
`

const htmlPage = `<!doctype html>
<html><body style="font-family: sans-serif; line-height: 1.5; color: #222; max-width: 36em">
<p>Hello {{.D.customer_name}},</p>
<p>{{.Body}}</p>
{{with .Link}}<p><a href="{{.}}" style="display: inline-block; padding: .6em 1.2em; background: #1f5fbf; color: #fff; text-decoration: none; border-radius: 4px">See it online</a></p>{{end}}
<p style="color: #555"><strong>{{.Shop.Name}}</strong>{{with .Shop.Phone}}<br>Phone: {{.}}{{end}}{{with .Shop.Hours}}<br>Hours: {{.}}{{end}}{{with .Shop.Address}}<br>{{.}}{{end}}</p>
</body></html>
`

// rendered is an email's subject and parts.
type rendered struct{ Subject, Text, HTML string }

// Subject renders the subject line of an email of kind (known when it is
// queued, so the log shows it).
func Subject(kind string, shop store.Shop, data map[string]string) (string, error) {
	return runText(subjects[kind], view{Shop: shop, D: data})
}

// render makes the whole email of kind.
func render(kind string, shop store.Shop, link string, data map[string]string) (rendered, error) {
	v := view{Shop: shop, Link: link, D: data}
	subject, err := runText(subjects[kind], v)
	if err != nil {
		return rendered{}, err
	}
	body, err := runText(bodies[kind], v)
	if err != nil {
		return rendered{}, err
	}
	text, err := runText(textTop+bodies[kind]+"\n"+textBottom, v)
	if err != nil {
		return rendered{}, err
	}
	t, err := htmltemplate.New("page").Parse(htmlPage)
	if err != nil {
		return rendered{}, err
	}
	var html strings.Builder
	// The body sentence was rendered as text; the HTML template escapes it whole.
	err = t.Execute(&html, struct {
		view
		Body string
	}{v, body})
	return rendered{Subject: oneLine(subject), Text: text, HTML: html.String()}, err
}

func runText(src string, v view) (string, error) {
	t, err := texttemplate.New("t").Option("missingkey=zero").Parse(src)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	err = t.Execute(&b, v)
	return b.String(), err
}

// oneLine keeps a subject on one header line whatever a name holds.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
