package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"portal/hooks"
	"portal/internal/datafolder"
)

// cmdListen forwards a running appliance's events to a local receiver,
// signed, printing a line per event (as `stripe listen` does).
func cmdListen(args []string) error {
	fs := flag.NewFlagSet("listen", flag.ContinueOnError)
	data := dataFlag(fs)
	forward := fs.String("forward-to", "", "receiver URL, e.g. http://localhost:9000/hooks")
	events := fs.String("events", "", "comma-separated event names or area.* (default: all)")
	format := fs.String("format", "portal", "portal, portalio, porter or standard")
	server := fs.String("server", "", "a remote appliance's URL (with --key) instead of the data folder's")
	key := fs.String("key", "", "API key with the live scope, for --server")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 || *forward == "" {
		return usageErr("listen needs --forward-to URL")
	}
	f, ok := hooks.FormatByName(*format)
	if !ok {
		return usageErr("--format must be one of %s", strings.Join(hooks.FormatNames, ", "))
	}
	src, err := newLiveSource(datafolder.Dir(*data), *server, *key)
	if err != nil {
		return err
	}
	fmt.Printf("Ready! Your webhook signing secret is %s (format %s)\n", src.secret, f.Name())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	l := &listener{src: src, format: f, target: *forward, events: *events,
		client: &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	return l.run(ctx)
}

// liveSource is where the live feed comes from: the data folder's admin
// socket (the test store) or a server with a key.
type liveSource struct {
	url    string
	header http.Header
	dialer *websocket.Dialer
	secret string
}

func newLiveSource(dir datafolder.Dir, server, key string) (*liveSource, error) {
	if server != "" {
		if key == "" {
			return nil, usageErr("--server needs --key")
		}
		u, err := url.Parse(server)
		if err != nil {
			return nil, err
		}
		u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
		u.Path = strings.TrimSuffix(u.Path, "/") + "/api/v1/live"
		// The same secret on every run for the same key, without storing it.
		mac := hmac.New(sha256.New, []byte(key))
		mac.Write([]byte("portal listen"))
		return &liveSource{url: u.String(), header: http.Header{"Authorization": {"Bearer " + key}},
			dialer: websocket.DefaultDialer, secret: "whsec_" + base64.StdEncoding.EncodeToString(mac.Sum(nil)[:24])}, nil
	}
	c := dir.Admin()
	if c == nil {
		return nil, fmt.Errorf("no portal is serving %s: start `portal serve --data %s` or give --server and --key", dir, dir)
	}
	var out struct{ Secret string }
	if err := c.Call(http.MethodGet, "/admin/listen-secret", nil, &out); err != nil {
		return nil, err
	}
	sock := dir.Socket()
	return &liveSource{url: "ws://portal/admin/live", secret: out.Secret, dialer: &websocket.Dialer{
		NetDialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
		HandshakeTimeout: 10 * time.Second,
	}}, nil
}

type listener struct {
	src    *liveSource
	format hooks.Format
	target string
	events string
	client *http.Client
	last   string // the last event forwarded, to resume after a reconnect
	joined bool
}

// run forwards until ctx ends, reconnecting with backoff when the feed drops.
func (l *listener) run(ctx context.Context) error {
	backoff := time.Second
	for {
		err := l.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		fmt.Fprintf(os.Stderr, "live feed lost (%v); reconnecting in %s\n", err, backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// session reads one connection of the feed.
func (l *listener) session(ctx context.Context) error {
	q := url.Values{}
	if l.events != "" {
		q.Set("events", l.events)
	}
	if l.last != "" {
		q.Set("since", l.last)
	}
	u := l.src.url
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	conn, resp, err := l.src.dialer.DialContext(ctx, u, l.src.header)
	if err != nil {
		if resp != nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			return fmt.Errorf("%w: %s", err, bytes.TrimSpace(body))
		}
		return err
	}
	defer conn.Close()
	if !l.joined {
		l.joined = true
		fmt.Printf("Listening for events, forwarding to %s (Ctrl-C to stop)\n", l.target)
	} else {
		fmt.Fprintln(os.Stderr, "live feed back; resuming after", l.last)
	}
	go func() {
		<-ctx.Done()
		conn.Close()
	}()
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			return err
		}
		l.forward(ctx, msg)
	}
}

// forward signs one event object, POSTs it and prints the outcome.
func (l *listener) forward(ctx context.Context, raw []byte) {
	var head struct {
		Event     string    `json:"event"`
		EventID   string    `json:"event_id"`
		Timestamp time.Time `json:"timestamp"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		fmt.Fprintf(os.Stderr, "unreadable event: %v\n", err)
		return
	}
	l.last = head.EventID
	outcome := l.post(ctx, hooks.Event{Name: head.Event, ID: head.EventID, Time: head.Timestamp, Raw: raw})
	fmt.Printf("%s  %-28s %s  %s\n", time.Now().Format("2006-01-02 15:04:05"), head.Event, head.EventID, outcome)
}

func (l *listener) post(ctx context.Context, ev hooks.Event) string {
	built, err := l.format.Build(ev, []string{l.src.secret}, time.Now())
	if err != nil {
		return "not sent: " + err.Error()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.target, bytes.NewReader(built.Body))
	if err != nil {
		return "not sent: " + err.Error()
	}
	for k, v := range built.Header {
		req.Header[k] = v
	}
	resp, err := l.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "→ failed: " + err.Error()
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return fmt.Sprintf("→ %d", resp.StatusCode)
}
