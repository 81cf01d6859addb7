package api_test

import (
	"fmt"
	"net/http"
	"testing"
)

// What encoding/json would take without a word is refused, naming the field
// (API.md: "control characters or invalid UTF-8 in text").
func TestControlCharactersAndInvalidUTF8InTextAreRefusedByName(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	ada := c.newCustomer("Ada")
	for _, tc := range []struct{ name, path, body, field string }{
		{"NUL", "/customers", `{"name":"Ada\u0000"}`, "name"},
		{"C1 control", "/customers", `{"name":"Ada","notes":"a\u0085b"}`, "notes"},
		{"invalid UTF-8", "/customers", "{\"name\":\"Ada\",\"notes\":\"a\xffb\"}", "notes"},
		{"half a surrogate pair", "/customers", `{"name":"Ada\ud800"}`, "name"},
		{"in a nested object", "/tickets", fmt.Sprintf(`{"customer_id":%d,"issue":"x","device":{"model":"a\u0007"}}`, ada.ID), "device.model"},
		{"invalid UTF-8 nested", "/tickets", fmt.Sprintf("{\"customer_id\":%d,\"issue\":\"x\",\"device\":{\"brand\":\"\xc3\"}}", ada.ID), "device.brand"},
		{"in a list of objects", "/store/statuses", `{"statuses":[{"name":"New"},{"name":"Do\u001bne","closed":true}]}`, "statuses[1].name"},
		{"in a list of strings", "/webhooks", `{"url":"https://203.0.113.10/h","events":["*","x\u0000"]}`, "events[1]"},
	} {
		method := http.MethodPost
		if tc.path == "/store/statuses" {
			method = http.MethodPut
		}
		res := c.api(method, tc.path, tc.body)
		if res.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422\n%s", tc.name, res.Status, res.Body)
			continue
		}
		res.fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", tc.field)
	}
	// Tab, LF and CR are text (notes have lines), and so is every valid
	// character, a surrogate pair's too.
	var got customer
	c.post("/customers", `{"name":"Zoë \ud83d\ude00","notes":"line one\r\nline\ttwo"}`).ok(http.StatusCreated, &got)
	if got.Name != "Zoë 😀" {
		t.Errorf("name %q", got.Name)
	}
}

// The decoder matches names regardless of case and keeps the last of a
// repeated one; a client that sends both meant something, so say which.
func TestAFieldGivenTwiceIsRefusedByName(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	ada := c.newCustomer("Ada")
	for _, tc := range []struct{ path, body, field string }{
		{"/customers", `{"name":"a","name":"b"}`, "name"},
		{"/customers", `{"name":"a","email":"a@example.com","Name":"b"}`, "name"},
		{"/customers", `{"name":"a","n\u0061me":"b"}`, "name"},
		{"/tickets", fmt.Sprintf(`{"customer_id":%d,"issue":"x","device":{"model":"a","MODEL":"b"}}`, ada.ID), "device.model"},
	} {
		c.post(tc.path, tc.body).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", tc.field)
	}
	c.patch(fmt.Sprintf("/customers/%d", ada.ID), `{"notes":"a","Notes":"b"}`).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "notes")
}

// Year 0000 parses as a time; no shop means it.
func TestTimesOutsideTheYears1900To9999AreRefusedByName(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	ada := c.newCustomer("Ada")
	body := func(due string) string {
		return fmt.Sprintf(`{"customer_id":%d,"issue":"x","due_at":%q}`, ada.ID, due)
	}
	for _, due := range []string{"0000-01-01T00:00:00Z", "1899-12-31T23:59:59Z"} {
		c.post("/tickets", body(due)).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "due_at")
	}
	c.post("/tickets", body("1900-01-01T00:00:00Z")).ok(http.StatusCreated, nil)
	tk := c.newTicket(ada.ID, nil)
	c.patch(fmt.Sprintf("/tickets/%d", tk.ID), `{"due_at":"0000-01-01T00:00:00Z"}`).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "due_at")
}
