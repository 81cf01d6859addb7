package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"portal/hooks"
)

var eventIDLine = regexp.MustCompile(`^evt_[0-9A-Z]{26}\n$`)

// runWithStdin runs portal with args and stdin; it returns stdout, stderr and the exit code.
func runWithStdin(t *testing.T, stdin []byte, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(portalBin, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestVerifyCommandExitsZeroForTheVectorsAndOneWithTheReason(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "hooks", "testdata", "webhook-signatures.json"))
	if err != nil {
		t.Fatal(err)
	}
	type vector struct {
		Secret  string            `json:"secret"`
		Body    string            `json:"body"`
		Headers map[string]string `json:"headers"`
	}
	var file map[string]json.RawMessage
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	vectors := map[string]vector{}
	for _, format := range []string{"portal", "portalio", "porter", "standard"} {
		var v vector
		if err := json.Unmarshal(file[format], &v); err != nil {
			t.Fatal(err)
		}
		vectors[format] = v
	}
	// The vectors' timestamps are from 2024: only porter, which signs no
	// time, verifies today; the others must fail for their age, not their
	// signature.
	for _, format := range []string{"portal", "portalio", "porter", "standard"} {
		v := vectors[format]
		args := []string{"verify", "--format", format, "--secret", v.Secret}
		for k, val := range v.Headers {
			args = append(args, "--header", k+": "+val)
		}
		out, stderr, code := runWithStdin(t, []byte(v.Body), args...)
		switch {
		case format == "porter" && (code != 0 || !strings.Contains(out, "verified")):
			t.Errorf("porter vector: exit %d %s %s", code, out, stderr)
		case format != "porter" && (code != 1 || !strings.Contains(stderr, "timestamp")):
			t.Errorf("%s vector: exit %d, stderr %q; want 1 naming the timestamp", format, code, stderr)
		}
		if format == "porter" {
			_, stderr, code = runWithStdin(t, []byte(v.Body+" "), args...)
			if code != 1 || !strings.Contains(stderr, "signature") {
				t.Errorf("tampered porter body: exit %d %q", code, stderr)
			}
		}
	}
}

func TestTriggerFiresASampleEventInTheTestStore(t *testing.T) {
	dir := t.TempDir()
	out, err := portalCmd(t, "trigger", "ticket.created", "--data", dir)
	if err != nil || !eventIDLine.MatchString(out) {
		t.Fatalf("trigger without a server: %q %v", out, err)
	}
	p := startServe(t, dir, "--sandbox")
	out, err = portalCmd(t, "trigger", "payment.received", "--data", dir)
	if err != nil || !eventIDLine.MatchString(out) {
		t.Fatalf("trigger through the socket: %q %v", out, err)
	}
	var ev struct{ Event string }
	if code, err := newClient(p.URL, sandboxKeyLine.FindString(p.Stdout)).do("GET", "/api/v1/events/"+strings.TrimSpace(out), nil, &ev); code != 200 || ev.Event != "payment.received" {
		t.Fatalf("triggered event in the test store: %d %v %+v", code, err, ev)
	}
	if _, err := portalCmd(t, "trigger", "ticket.exploded", "--data", dir); err == nil || !strings.Contains(err.Error(), "event") {
		t.Fatalf("unknown event: %v", err)
	}
}

func TestVerifyCommandAcceptsAFreshRequestOfEveryFormat(t *testing.T) {
	raw := []byte(`{"event":"ticket.created","event_id":"evt_01JD0000000000000000000009","timestamp":"2026-03-15T14:22:00Z","store_id":1,"data":{"ticket_id":9,"ticket":{"id":9}}}`)
	for _, format := range hooks.FormatNames {
		secret, err := hooks.NewSecret(format)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := hooks.FormatByName(format)
		req, err := f.Build(hooks.Event{Name: "ticket.created", ID: "evt_01JD0000000000000000000009", Raw: raw}, []string{secret}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		args := []string{"verify", "--format", format, "--secret", secret}
		for k, v := range req.Header {
			args = append(args, "--header", k+": "+v[0])
		}
		if out, stderr, code := runWithStdin(t, req.Body, args...); code != 0 {
			t.Errorf("%s: exit %d %s %s", format, code, out, stderr)
		}
	}
}
