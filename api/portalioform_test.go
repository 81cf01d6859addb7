package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// Portal.io's form body is percent-decoded, so %00 and %FF would reach the
// store unchecked; it is held to the JSON body's rules and answered as
// Portal.io answers (a plain 400 naming the field).
func TestPortalioFormTextIsHeldToTheJSONRules(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t, internalKey)
	cr := newMSSCreds(ts, subscriberScopes...)
	for _, tc := range []struct{ contentType, body string }{
		{formType, "Url=https%3A%2F%2F203.0.113.10%2Fh&Events=*&Description=a%00b"},
		{formType, "Url=https%3A%2F%2F203.0.113.10%2Fh&Events=*&Description=a%FFb"},
		{"application/json", `{"url":"https://203.0.113.10/h","events":["*"],"description":"a\u0000b"}`},
	} {
		msg := ts.pio(cr, http.MethodPost, "/public/webhook/subscribe", tc.contentType, tc.body).pioFail(http.StatusBadRequest)
		if !strings.Contains(msg, "description") {
			t.Errorf("%s: %q does not name the field", tc.body, msg)
		}
	}
	if list := ts.pioList(cr); len(list) != 0 {
		t.Fatalf("refused subscriptions were stored: %+v", list)
	}
}

// One field given twice, in any case, is refused, never picked at random.
func TestPortalioFormFieldGivenTwiceIsRefused(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t, internalKey)
	cr := newMSSCreds(ts, subscriberScopes...)
	for _, body := range []string{
		"Url=https%3A%2F%2F203.0.113.10%2Fa&url=https%3A%2F%2F203.0.113.10%2Fb&Events=*",
		"Url=https%3A%2F%2F203.0.113.10%2Fa&Url=https%3A%2F%2F203.0.113.10%2Fb&Events=*",
	} {
		msg := ts.pio(cr, http.MethodPost, "/public/webhook/subscribe", formType, body).pioFail(http.StatusBadRequest)
		if !strings.Contains(msg, "twice") {
			t.Errorf("%s: %q", body, msg)
		}
	}
	if list := ts.pioList(cr); len(list) != 0 {
		t.Fatalf("refused subscriptions were stored: %+v", list)
	}
}
