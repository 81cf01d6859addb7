package mail

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"portal/internal/smtptest"
	"portal/store"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// rig is a store with a customer and a ticket, a real SMTP server set up as
// the shop's, and a mailer on an injected clock whose links are stubbed.
type rig struct {
	t        *testing.T
	s        *store.Store
	smtp     *smtptest.Server
	m        *Mailer
	clock    *clock
	sealer   *store.Sealer
	log      *bytes.Buffer
	ticketID uint64
	custID   uint64
}

func newRig(t *testing.T, mode store.Mode, customerEmail string) *rig {
	t.Helper()
	dir := t.TempDir()
	c := &clock{now: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)}
	s, err := store.Open(filepath.Join(dir, string(mode)+".db"), store.Options{Mode: mode, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sealer, err := store.LoadSealer(filepath.Join(dir, "seal.key"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	logs := &bytes.Buffer{}
	r := &rig{t: t, s: s, smtp: srv, clock: c, sealer: sealer, log: logs}
	r.m = New(Config{Sealer: sealer, Now: c.Now, Timeout: 5 * time.Second,
		Log: slog.New(slog.NewTextHandler(&syncWriter{w: logs}, nil)),
		Link: func(mode store.Mode, id uint64) (string, error) {
			return "https://shop.example/c/" + string(mode) + "-" + strconv.FormatUint(id, 10), nil
		}})
	ctx := context.Background()
	if _, err := s.UpdateShop(ctx, store.ShopPatch{Name: ptr("Fix-It Corner"), Phone: ptr("+1 503 555 0100"), Hours: ptr("Mon–Fri 9–6")}); err != nil {
		t.Fatal(err)
	}
	cust, err := s.CreateCustomer(ctx, store.CustomerInput{Name: "Ada Lovelace", Email: customerEmail, Phone: "+1 503 555 0101"})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := s.CreateTicket(ctx, store.TicketInput{CustomerID: cust.ID, Device: store.Device{Brand: "Google", Model: "Pixel 8"}, Issue: "No sound"})
	if err != nil {
		t.Fatal(err)
	}
	r.ticketID, r.custID = tk.ID, cust.ID
	return r
}

// useServer makes the test SMTP server the shop's mail server.
func (r *rig) useServer() {
	r.t.Helper()
	_, err := r.s.UpdateEmailSettings(context.Background(), store.EmailSettingsPatch{Host: ptr(r.smtp.Host), Port: &r.smtp.Port,
		Security: ptr(store.SecurityNone), From: ptr("Fix-It Corner <shop@fixit.example>")}, r.sealer)
	if err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) setStatus(status string) {
	r.t.Helper()
	if _, err := r.s.UpdateTicket(context.Background(), r.ticketID, store.TicketPatch{Status: &status}); err != nil {
		r.t.Fatal(err)
	}
}

// step runs one pass of the loop: read the log, send what is due.
func (r *rig) step() {
	r.t.Helper()
	ctx := context.Background()
	if err := r.m.consume(ctx, r.s); err != nil {
		r.t.Fatal(err)
	}
	if err := r.m.sendDue(ctx, r.s); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) emails() []store.Email {
	r.t.Helper()
	page, err := r.s.Emails(1, 100)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []store.Email
	for _, raw := range page.Items {
		e, err := r.s.EmailByID(idOf(raw))
		if err != nil {
			r.t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func idOf(raw []byte) string {
	i := bytes.Index(raw, []byte(`"id":"`))
	rest := raw[i+6:]
	return string(rest[:bytes.IndexByte(rest, '"')])
}

func ptr[T any](v T) *T { return &v }

// syncWriter lets the logger be written from the mailer's goroutine and
// read by the test.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
