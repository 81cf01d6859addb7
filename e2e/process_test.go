package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// portalBin is the binary under test, built once by TestMain.
var portalBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "portal-bin")
	if err != nil {
		panic(err)
	}
	portalBin = filepath.Join(dir, "portal")
	build := exec.Command("go", "build", "-o", portalBin, "portal") // the module's root: the appliance's binary
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building portal:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// child is a running `portal serve`.
type child struct {
	cmd    *exec.Cmd
	URL    string
	Stdout string // what it printed up to logging that it serves
	log    *lockedBuffer
	exited chan struct{}
	err    error
}

var runningAt = regexp.MustCompile(`Portal is running at (\S+)`)

// startServe runs `portal serve --addr 127.0.0.1:0 --data dir args…` and
// returns once the server has logged that it serves. Stdout and stderr share
// one pipe, so everything printed before that log line has been read by then.
func startServe(t testing.TB, dir string, args ...string) *child {
	t.Helper()
	cmd := exec.Command(portalBin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dir}, args...)...)
	cmd.Env = append(os.Environ(), "PORTAL_ADDR=", "PORTAL_DATA=", "PORTAL_SANDBOX=")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	c := &child{cmd: cmd, log: &lockedBuffer{}, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	readAll := make(chan struct{}) // the output is read to its end
	go func() {
		c.err = cmd.Wait()
		<-readAll // so that what the process printed last is in c.log once it has exited
		close(c.exited)
	}()
	t.Cleanup(c.kill)

	serving := make(chan struct{})
	go func() {
		defer close(readAll)
		defer r.Close()
		announced := false
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			line := sc.Text()
			c.log.WriteString(line + "\n")
			if !announced && strings.Contains(line, `"portal serving"`) {
				announced = true
				close(serving)
			}
		}
	}()
	select {
	case <-serving:
	case <-c.exited:
		t.Fatalf("portal serve exited early (%v):\n%s", c.err, c.log.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("portal serve did not start:\n%s", c.log.String())
	}
	c.Stdout = c.log.String()
	m := runningAt.FindStringSubmatch(c.Stdout)
	if m == nil {
		t.Fatalf("no URL printed:\n%s", c.Stdout)
	}
	c.URL = m[1]
	return c
}

func (c *child) kill() {
	c.cmd.Process.Kill()
	<-c.exited
}

// stop sends sig and waits for the process to end.
func (c *child) stop(t testing.TB, sig syscall.Signal) error {
	t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.exited:
		return c.err
	case <-time.After(20 * time.Second):
		t.Fatalf("portal did not exit after %v", sig)
		return nil
	}
}

// lockedBuffer collects a child's output for failure messages.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) WriteString(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteString(s)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// portalCmd runs a one-shot portal command and returns stdout.
func portalCmd(t testing.TB, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(portalBin, args...)
	cmd.Env = append(os.Environ(), "PORTAL_DATA=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%w: %s", err, stderr.String())
	}
	return stdout.String(), err
}

// apiClient calls the API with one key.
type apiClient struct {
	base string
	key  string
	http *http.Client
}

func newClient(base, key string) *apiClient {
	return &apiClient{base: base, key: key, http: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 128}}}
}

// do sends a request and decodes the envelope's data into out (if non-nil).
func (c *apiClient) do(method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var env struct {
		Success bool            `json:"success"`
		Data    json.RawMessage `json:"data"`
		Error   *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return resp.StatusCode, err
	}
	if env.Error != nil {
		return resp.StatusCode, errors.New(env.Error.Message)
	}
	if out != nil {
		return resp.StatusCode, json.Unmarshal(env.Data, out)
	}
	return resp.StatusCode, nil
}

func mustRequest(t testing.TB, c *apiClient, path string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", c.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	return req
}

type envelope struct {
	Success bool `json:"success"`
	Meta    struct {
		Page, PerPage, Total int
		HasMore              bool `json:"has_more"`
	} `json:"meta"`
}

// decodeEnvelope decodes a list response: data into out, and the meta.
func decodeEnvelope(t testing.TB, resp *http.Response, out any) envelope {
	t.Helper()
	defer resp.Body.Close()
	var env struct {
		envelope
		Data json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d", resp.Request.URL, resp.StatusCode)
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		t.Fatal(err)
	}
	return env.envelope
}
