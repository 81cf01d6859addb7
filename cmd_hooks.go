package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"portal/api"
	"portal/hooks"
	"portal/internal/datafolder"
)

// cmdVerify checks a saved webhook request: exit 0 when it verifies, 1 with
// the reason when it does not.
func cmdVerify(args []string, stdin io.Reader) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	format := fs.String("format", "portal", "portal, portalio, porter or standard")
	secret := fs.String("secret", "", "the webhook's secret")
	at := fs.Int64("at", 0, "check the timestamp as of this Unix time (a request saved earlier), default now")
	var headers []string
	fs.Func("header", "a request header, 'Name: value' (repeat)", func(v string) error {
		headers = append(headers, v)
		return nil
	})
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 || *secret == "" {
		return usageErr("verify needs --secret and reads the body on stdin")
	}
	h := http.Header{}
	for _, line := range headers {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return usageErr("--header %q is not 'Name: value'", line)
		}
		// Kept as written: the standard format's headers are lower-case.
		name = strings.TrimSpace(name)
		h[http.CanonicalHeaderKey(name)] = append(h[http.CanonicalHeaderKey(name)], strings.TrimSpace(value))
		if name != http.CanonicalHeaderKey(name) {
			h[name] = append(h[name], strings.TrimSpace(value))
		}
	}
	body, err := io.ReadAll(stdin)
	if err != nil {
		return err
	}
	now := time.Now()
	if *at != 0 {
		now = time.Unix(*at, 0)
	}
	if err := hooks.Verify(*format, *secret, h, body, now); err != nil {
		return fmt.Errorf("does not verify: %w", err)
	}
	fmt.Println("verified")
	return nil
}

// cmdTrigger fires a sample event in the test store, through the running
// server's admin socket when there is one; it prints the event id.
func cmdTrigger(args []string) error {
	fs := flag.NewFlagSet("trigger", flag.ContinueOnError)
	data := dataFlag(fs)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageErr("trigger takes one event name, e.g. ticket.created")
	}
	dir := datafolder.Dir(*data)
	var out struct {
		EventID string `json:"event_id"`
	}
	if c := dir.Admin(); c != nil {
		if err := c.Call(http.MethodPost, "/admin/trigger", map[string]string{"event": rest[0]}, &out); err != nil {
			return err
		}
	} else {
		s, err := dir.Open(2 * time.Second)
		if err != nil {
			return err
		}
		defer s.Close()
		if out.EventID, err = api.TriggerSample(context.Background(), s.Test, rest[0]); err != nil {
			return err
		}
	}
	fmt.Println(out.EventID)
	return nil
}
