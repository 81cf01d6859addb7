package datafolder

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"portal/store"
)

// Admin talks to a running server over its data folder's admin socket.
type Admin struct{ c *http.Client }

// Admin returns a client of the server running on this data folder, or nil
// when no server answers on its socket.
func (d Dir) Admin() *Admin {
	sock := d.Socket()
	conn, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return nil
	}
	conn.Close()
	return &Admin{c: &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var dl net.Dialer
			return dl.DialContext(ctx, "unix", sock)
		}},
	}}
}

// Call sends one request over the admin socket and unwraps the envelope's
// data into out; an error envelope becomes an error with its message.
func (a *Admin) Call(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://portal"+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var env struct {
		Data  json.RawMessage `json:"data"`
		Error *struct {
			Code    string             `json:"code"`
			Message string             `json:"message"`
			Details []store.FieldError `json:"details"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return fmt.Errorf("admin socket: %w", err)
	}
	if env.Error != nil {
		msg := env.Error.Message
		for _, d := range env.Error.Details {
			msg += fmt.Sprintf("; %s: %s", d.Field, d.Message)
		}
		return errors.New(msg)
	}
	return json.Unmarshal(env.Data, out)
}

// Download copies a file the server streams over the admin socket to w.
func (a *Admin) Download(ctx context.Context, path string, w io.Writer) error {
	unbounded := *a.c
	unbounded.Timeout = 0 // a large archive takes as long as it takes; ctx ends it
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://portal"+path, nil)
	if err != nil {
		return err
	}
	resp, err := unbounded.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var env struct {
			Error struct{ Message string } `json:"error"`
		}
		if json.NewDecoder(resp.Body).Decode(&env) == nil && env.Error.Message != "" {
			return errors.New(env.Error.Message)
		}
		return fmt.Errorf("admin socket: %s", resp.Status)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("admin socket: the server broke off the backup: %w", err)
	}
	return nil
}

// ListenAdmin opens the admin socket (mode 0600), replacing one a crashed
// server left; it returns store.ErrLocked when a server answers there.
func (d Dir) ListenAdmin() (net.Listener, error) {
	path := d.Socket()
	if conn, err := net.DialTimeout("unix", path, time.Second); err == nil {
		conn.Close()
		return nil, store.ErrLocked
	}
	os.Remove(path)
	old := syscallUmask(0o177)
	ln, err := net.Listen("unix", path)
	syscallUmask(old)
	if err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	return ln, os.Chmod(path, 0o600)
}
