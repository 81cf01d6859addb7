package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"portal/internal/smtptest"
)

// TestCustomerEmailSurvivesSIGKILL changes a ticket to a status that emails
// the customer while the shop's mail server is down, kills the appliance
// with SIGKILL at once (before or after the consumer queued the email, and
// certainly before it could be sent), brings the mail server up and
// restarts: the email arrives, exactly once, with the customer's link.
func TestCustomerEmailSurvivesSIGKILL(t *testing.T) {
	dir := t.TempDir()
	// A free port for the mail server, which is down until after the kill.
	probe, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	addr, port := probe.Addr, probe.Port
	probe.Close()

	p := startServe(t, dir, "--sandbox", "--mail-retry-schedule", "1s,1s,1s,1s,1s")
	key, err := portalCmd(t, "keys", "create", "--data", dir, "--type", "developer", "--name", "mail",
		// Choosing the mail server takes every scope a customer's link reaches.
		"--scopes", "customers.read,customers.write,tickets.read,tickets.write,store.read,store.write,payments.read,files.read,proposals.read,proposals.write",
		"--tier", "unlimited")
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(p.URL, strings.TrimSpace(key))
	must := func(code int, err error, want int, what string) {
		t.Helper()
		if code != want {
			t.Fatalf("%s: %d %v\n%s", what, code, err, p.log.String())
		}
	}
	// A developer key works in the test store, which has its own mail settings.
	code, err := c.do("PATCH", "/api/v1/store/email", map[string]any{"host": "127.0.0.1", "port": port, "security": "none",
		"from": "Fix-It <shop@fixit.example>"}, nil)
	must(code, err, http.StatusOK, "mail settings")
	var cust struct{ ID uint64 }
	code, err = c.do("POST", "/api/v1/customers", map[string]any{"name": "Grace Hopper", "email": "grace@example.com"}, &cust)
	must(code, err, http.StatusCreated, "customer")
	var tk struct{ ID uint64 }
	code, err = c.do("POST", "/api/v1/tickets", map[string]any{"customer_id": cust.ID, "issue": "Cracked screen",
		"device": map[string]any{"brand": "Apple", "model": "iPhone 15"}}, &tk)
	must(code, err, http.StatusCreated, "ticket")
	code, err = c.do("PATCH", fmt.Sprintf("/api/v1/tickets/%d", tk.ID), map[string]any{"status": "Ready for Pickup"}, nil)
	must(code, err, http.StatusOK, "status")
	p.kill() // SIGKILL: no shutdown, whatever the consumer had done so far

	mailSrv, err := smtptest.StartAt(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer mailSrv.Close()
	p = startServe(t, dir, "--sandbox", "--mail-retry-schedule", "1s,1s,1s,1s,1s")
	c = newClient(p.URL, strings.TrimSpace(key))
	got := mailSrv.WaitFor(1, 30*time.Second)
	if len(got) != 1 {
		t.Fatalf("the mail server got %d emails, want 1\n%s", len(got), p.log.String())
	}
	data := strings.ReplaceAll(strings.ReplaceAll(got[0].Data, "=\r\n", ""), "\r\n", "\n")
	if !strings.Contains(data, "Subject: Your repair is Ready for Pickup") || !strings.Contains(data, "/c/") ||
		len(got[0].To) != 1 || got[0].To[0] != "grace@example.com" {
		t.Fatalf("the email:\n%s", got[0].Data)
	}
	// The log says sent once: nothing is left to send it again.
	var emails []struct {
		To, Status string
		Attempts   []struct{ Reply string }
	}
	// The sandbox's demo tickets were logged as skipped (no mail server then).
	grace := func() (n, sent int) {
		for _, e := range emails {
			if e.To == "grace@example.com" {
				n++
				if e.Status == "sent" {
					sent++
				}
			}
		}
		return n, sent
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, err = c.do("GET", "/api/v1/emails", nil, &emails)
		must(code, err, http.StatusOK, "email log")
		if n, sent := grace(); n == 1 && sent == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("email log = %+v", emails)
		}
		time.Sleep(50 * time.Millisecond) // the record follows the server's 250 by one commit
	}
	if n := len(mailSrv.Messages()); n != 1 {
		t.Fatalf("after the log says sent, the server has %d emails", n)
	}
	if p.stop(t, syscall.SIGTERM) != nil {
		t.Fatalf("shutdown:\n%s", p.log.String())
	}
}
