package main

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/kardianos/service"

	"portal/internal/datafolder"
)

func TestServiceInstallRecordsServesFlagsWithAbsolutePaths(t *testing.T) {
	t.Setenv("PORTAL_DATA", "")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cwd, _ := os.Getwd()
	for _, tc := range []struct {
		goos string
		args []string
		want []string
	}{
		{"linux", []string{"--sandbox"}, []string{"serve", "--addr", "127.0.0.1:8080", "--data", "/var/lib/portal", "--sandbox"}},
		{"darwin", []string{"--addr", "127.0.0.1:9090"}, []string{"serve", "--addr", "127.0.0.1:9090", "--data", "/Library/Application Support/Portal"}},
		{"linux", []string{"--data", "shop", "--webhook-retry-schedule", "1m,5m"},
			[]string{"serve", "--addr", "127.0.0.1:8080", "--data", filepath.Join(cwd, "shop"), "--webhook-retry-schedule", "1m,5m"}},
	} {
		sc, data, err := serviceConfig(tc.args, tc.goos)
		if err != nil {
			t.Fatalf("%s %v: %v", tc.goos, tc.args, err)
		}
		if !slices.Equal(sc.Arguments, tc.want) || data != tc.want[4] || sc.Executable != exe || sc.Name != "portal" {
			t.Errorf("%s %v: runs %s %v in %s, want %v", tc.goos, tc.args, sc.Executable, sc.Arguments, data, tc.want)
		}
		if sc.WorkingDirectory != data {
			t.Errorf("%s: working directory %q, want the data folder", tc.goos, sc.WorkingDirectory)
		}
	}
	t.Setenv("ProgramData", `D:\Data`)
	if got := defaultServiceData("windows"); got != filepath.Join(`D:\Data`, "Portal") {
		t.Errorf("windows data folder %q", got)
	}
	// The environment counts as given, like serve reads it.
	t.Setenv("PORTAL_DATA", "/srv/portal")
	if _, data, _ := serviceConfig(nil, "linux"); data != "/srv/portal" {
		t.Errorf("PORTAL_DATA ignored: %s", data)
	}
	// A mistake is caught at install, not when the service first starts.
	if _, _, err := serviceConfig([]string{"--tls-cert", "a.pem"}, "linux"); err == nil {
		t.Error("--tls-cert without --tls-key was accepted")
	}
	// kardianos accepts the definition on this system.
	sc, _, _ := serviceConfig(nil, "linux")
	if _, err := service.New(&serviceProgram{}, sc); err != nil {
		t.Errorf("service.New: %v", err)
	}
}

// The service manager's Start returns at once with the server coming up;
// Stop returns once it has shut down and let go of the data folder.
func TestServiceProgramServesUntilStopped(t *testing.T) {
	dir := t.TempDir()
	started := make(chan string, 1)
	cfg, err := parseServe([]string{"--addr", "127.0.0.1:0", "--data", dir})
	if err != nil {
		t.Fatal(err)
	}
	cfg.started = started
	prg := &serviceProgram{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := prg.Start(nil); err != nil {
		t.Fatal(err)
	}
	var base string
	select {
	case base = <-started:
	case err := <-prg.done:
		t.Fatalf("serve ended before serving: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz %d", resp.StatusCode)
	}
	if err := prg.Stop(nil); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	dirs, err := datafolder.Dir(dir).Open(100 * time.Millisecond)
	if err != nil {
		t.Fatalf("the data folder is still held after Stop: %v", err)
	}
	dirs.Close()
}
