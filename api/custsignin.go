package api

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"portal/internal/custlink"
	"portal/store"
)

// Getting in without a password: the magic link (GET /c/{token}, in
// custpage.go) or a ticket number with the phone or email on file. Wrong
// guesses are limited per client address and per ticket number, so neither
// many addresses against one ticket nor one address across many tickets
// gets far.

// Guessing limits: wrong sign-ins per window, per address and per ticket.
const (
	customerWrongGuesses = 5
	customerGuessWindow  = 15 * time.Minute
	customerGuessMemory  = 10_000 // addresses and tickets remembered at most
)

// errNoRepairMatches is every wrong sign-in: it never says whether the
// ticket exists or the contact was wrong.
var errNoRepairMatches = newError(http.StatusNotFound, "NOT_FOUND",
	"No repair matches that ticket number and phone or email; check both and try again")

// customerSignInInput is POST /c/api/login's body. The ticket number may be sent as
// a number or as text ("#1042").
type customerSignInInput struct {
	TicketNumber flexText `json:"ticket_number"`
	Contact      string   `json:"contact"` // the phone or email on file
}

// flexText takes a JSON string or number as text.
type flexText string

func (f *flexText) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexText(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexText(n.String())
	return nil
}

// customerMode is the store a sign-in looks in: ?mode=test for the test
// store (the sandbox's own customers), the live store otherwise.
func customerMode(r *http.Request) (store.Mode, error) {
	switch m := r.URL.Query().Get("mode"); m {
	case "", string(store.Live):
		return store.Live, nil
	case string(store.Test):
		return store.Test, nil
	}
	return "", validation("mode", "must be live or test")
}

func (s *Server) customerSignIn(w http.ResponseWriter, r *http.Request, _ *CustomerPrincipal) error {
	mode, err := customerMode(r)
	if err != nil {
		return err
	}
	var in customerSignInInput
	if err := decode(r, &in); err != nil {
		return err
	}
	number, valid := parseTicketNumber(string(in.TicketNumber))
	if !valid {
		return validation("ticket_number", "must be the number on your receipt, such as 1042")
	}
	contact := strings.TrimSpace(in.Contact)
	if contact == "" || len(contact) > 200 {
		return validation("contact", "must be the phone number or email address the shop has for you")
	}
	addrKey := "addr " + guessKey(r)
	ticketKey := "ticket " + string(mode) + " " + strconv.FormatUint(number, 10)
	if err := s.custGuard.take(w, addrKey, "tries"); err != nil {
		return err
	}
	if err := s.custGuard.take(w, ticketKey, "tries"); err != nil {
		return err
	}
	st := s.storeFor(mode)
	cust, found, err := signInCustomer(st, number, contact)
	if err != nil {
		return err
	}
	if !found {
		return errNoRepairMatches
	}
	s.custGuard.refund(addrKey)
	s.custGuard.refund(ticketKey)
	epoch, err := st.CustomerLinkEpoch(cust.ID)
	if err != nil {
		return err
	}
	shop, err := st.Shop()
	if err != nil {
		return err
	}
	claims := custlink.Claims{Mode: string(mode), CustomerID: cust.ID, Epoch: epoch,
		Expires: s.cfg.Now().Add(time.Duration(shop.PortalLinkDays) * 24 * time.Hour).UTC().Truncate(time.Second)}
	s.setCustomerCookie(w, r, claims)
	c := &CustomerPrincipal{Store: st, Mode: string(mode), CustomerID: cust.ID, Name: cust.Name, epoch: epoch, expires: claims.Expires}
	me, err := s.customerMe(c)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, me)
}

// signInCustomer finds the customer of ticket number whose phone or email
// on file is contact; found is false for every kind of mismatch.
func signInCustomer(st *store.Store, number uint64, contact string) (store.Customer, bool, error) {
	t, err := st.TicketByNumber(number)
	if isNotFound(err) {
		return store.Customer{}, false, nil
	}
	if err != nil {
		return store.Customer{}, false, err
	}
	cust, err := customerRecord(st, t.CustomerID)
	if isNotFound(err) {
		return store.Customer{}, false, nil
	}
	if err != nil {
		return store.Customer{}, false, err
	}
	return cust, contactMatches(cust, contact), nil
}

// contactMatches compares in constant time: an email whatever its case, a
// phone by its digits. A number typed without its country code ("503 555
// 0101" for "+1 503 555 0101") matches when it keeps at least seven digits.
func contactMatches(c store.Customer, contact string) bool {
	if strings.Contains(contact, "@") {
		want := strings.ToLower(strings.TrimSpace(c.Email))
		return want != "" && subtle.ConstantTimeCompare([]byte(strings.ToLower(contact)), []byte(want)) == 1
	}
	got, want := digits(contact), digits(c.Phone)
	if len(got) < 7 || len(want) < 7 {
		return false
	}
	if len(got) < len(want) {
		want = want[len(want)-len(got):]
	} else if len(got) > len(want) {
		got = got[len(got)-len(want):]
	}
	return subtle.ConstantTimeCompare(got, want) == 1
}

func digits(s string) []byte {
	var b bytes.Buffer
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.Bytes()
}

// parseTicketNumber reads "1042", "#1042" or " 1042 ".
func parseTicketNumber(s string) (uint64, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "#")
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && n > 0
}

func (s *Server) customerSignOut(w http.ResponseWriter, r *http.Request, _ *CustomerPrincipal) error {
	s.clearCustomerCookie(w, r)
	return ok(w, http.StatusOK, map[string]bool{"signed_out": true})
}
