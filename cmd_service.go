package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/kardianos/service"

	"portal/chain"
	"portal/internal/datafolder"
	"portal/internal/logfile"
	"portal/store"
)

// `portal service install|uninstall|start|stop|status` registers `portal
// serve` with the OS's service manager (systemd, launchd, the Windows
// service manager) through kardianos/service. The service manager then runs
// `portal serve …`, which notices it is not interactive and runs under
// runService: Start returns at once, Stop shuts down as Ctrl+C would.

const serviceName = "portal"

// stopTimeout bounds a graceful stop; service managers kill a service that
// takes much longer (systemd's default is 90 s, Windows' about 20 s).
const stopTimeout = 15 * time.Second

// defaultServiceData is where an installed appliance keeps its data when
// --data is not given: the OS's usual place for a system service's state.
func defaultServiceData(goos string) string {
	switch goos {
	case "windows":
		base := os.Getenv("ProgramData")
		if base == "" {
			base = `C:\ProgramData`
		}
		return filepath.Join(base, "Portal")
	case "darwin":
		return "/Library/Application Support/Portal"
	default:
		return "/var/lib/portal"
	}
}

// serviceConfig turns `service install`'s flags, the same as serve's, into
// the service definition: the installed command line names every setting
// explicitly (absolute paths, no environment), so the service runs the same
// way whoever starts it.
func serviceConfig(args []string, goos string) (sc *service.Config, data string, err error) {
	cfg, err := parseServe(args)
	if err != nil {
		return nil, "", err
	}
	if !cfg.dataSet {
		cfg.data = datafolder.Dir(defaultServiceData(goos))
	}
	if data, err = filepath.Abs(string(cfg.data)); err != nil {
		return nil, "", err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	argv := []string{"serve", "--addr", cfg.addr, "--data", data}
	if cfg.sandbox {
		argv = append(argv, "--sandbox")
	}
	for flag, path := range map[string]string{"--tls-cert": cfg.tlsCert, "--tls-key": cfg.tlsKey} {
		if path != "" {
			abs, err := filepath.Abs(path)
			if err != nil {
				return nil, "", err
			}
			argv = append(argv, flag, abs)
		}
	}
	if cfg.schedule != "" {
		argv = append(argv, "--webhook-retry-schedule", cfg.schedule)
	}
	if cfg.mailSchedule != "" {
		argv = append(argv, "--mail-retry-schedule", cfg.mailSchedule)
	}
	if cfg.retention != store.DefaultRetention {
		argv = append(argv, "--event-retention", cfg.retentionArg)
	}
	if c := cfg.chain; c != nil {
		if store.NATSURLHasSecret(c.URL) {
			// The service's definition is a file anyone on the machine may read.
			return nil, "", usageErr("--nats-url: a user, password or token in the URL would be written into the service's definition, " +
				"which anyone on this machine can read; give --nats-creds FILE instead, or set the chain in Settings → Appliance")
		}
		argv = append(argv, "--nats-url", c.URL)
		if c.CredsFile != "" {
			abs, err := filepath.Abs(c.CredsFile)
			if err != nil {
				return nil, "", err
			}
			argv = append(argv, "--nats-creds", abs)
		}
		if c.Stream != chain.DefaultStream {
			argv = append(argv, "--nats-stream", c.Stream)
		}
		if c.Shop != "" {
			argv = append(argv, "--nats-shop", c.Shop)
		}
		if c.IncludeTest {
			argv = append(argv, "--nats-include-test")
		}
	}
	sc = &service.Config{
		Name:        serviceName,
		DisplayName: "Portal",
		Description: "Portal repair-shop appliance: records, API, web console and webhooks.",
		Executable:  exe,
		Arguments:   argv,
		Option: service.KeyValue{
			"Restart":          "on-failure", // systemd: come back after a crash, not after a stop
			"OnFailure":        "restart",    // Windows
			"KeepAlive":        true,         // launchd
			"RunAtLoad":        true,
			"DelayedAutoStart": true,
		},
	}
	if goos != "windows" {
		sc.WorkingDirectory = data
		sc.Dependencies = []string{"After=network-online.target", "Wants=network-online.target"}
	}
	return sc, data, nil
}

func cmdService(args []string) error {
	if len(args) == 0 {
		return usageErr("service needs an action: install, uninstall, start, stop or status")
	}
	action, rest := args[0], args[1:]
	var sc *service.Config
	if action == "install" {
		var data string
		var err error
		if sc, data, err = serviceConfig(rest, runtime.GOOS); err != nil {
			return err
		}
		if err := os.MkdirAll(data, 0o700); err != nil {
			return err
		}
		if err := datafolder.Dir(data).Protect(); err != nil {
			return fmt.Errorf("protecting %s: %w", data, err)
		}
	} else {
		if len(rest) > 0 {
			return usageErr("service %s takes no flags (they are recorded by install)", action)
		}
		sc = &service.Config{Name: serviceName}
	}
	s, err := service.New(&serviceProgram{}, sc)
	if err != nil {
		return fmt.Errorf("no service manager found on this system: %w", err)
	}
	switch action {
	case "status":
		st, err := s.Status()
		switch {
		case errors.Is(err, service.ErrNotInstalled):
			fmt.Println("not installed")
			return errors.New("the portal service is not installed (portal service install)")
		case err != nil:
			return err
		case st == service.StatusRunning:
			fmt.Println("running")
		case st == service.StatusStopped:
			fmt.Println("stopped")
		default:
			fmt.Println("unknown")
		}
		return nil
	case "install", "uninstall", "start", "stop":
		if err := service.Control(s, action); err != nil {
			return fmt.Errorf("service %s: %w (administrator rights are needed)", action, err)
		}
		if action == "install" {
			fmt.Printf("Installed the portal service: %s %s\n", sc.Executable, strings.Join(sc.Arguments, " "))
			fmt.Println("Start it with: portal service start")
		} else {
			fmt.Printf("portal service: %s done\n", action)
		}
		return nil
	}
	return usageErr("unknown service action %q (install, uninstall, start, stop, status)", action)
}

// serviceProgram is what the service manager drives: Start must return at
// once, Stop must finish the shutdown before it returns.
type serviceProgram struct {
	cfg    serveConfig
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan error
}

func (p *serviceProgram) Start(service.Service) error {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.done = make(chan error, 1)
	go func() {
		err := runServe(ctx, p.cfg, p.log)
		if ctx.Err() == nil {
			// It ended on its own (port taken, store locked, bad certificate):
			// exit failed, so that the service manager sees a failure, says so
			// in its status and restarts it, instead of a "running" service
			// that serves nothing.
			p.log.Error("portal stopped", "err", err)
			os.Exit(1)
		}
		p.done <- err
	}()
	return nil
}

func (p *serviceProgram) Stop(service.Service) error {
	p.cancel()
	select {
	case err := <-p.done:
		return err
	case <-time.After(stopTimeout):
		return errors.New("portal did not stop within " + stopTimeout.String())
	}
}

// runService runs serve under the service manager, logging to the
// system's log and to a rotating file in the data folder.
func runService(cfg serveConfig) error {
	cfg.service = true
	if err := os.MkdirAll(string(cfg.data), 0o700); err != nil {
		return err
	}
	if err := cfg.data.Protect(); err != nil {
		return fmt.Errorf("protecting %s: %w", cfg.data, err)
	}
	prg := &serviceProgram{cfg: cfg}
	s, err := service.New(prg, &service.Config{Name: serviceName})
	if err != nil {
		return err
	}
	file, err := logfile.Open(filepath.Join(string(cfg.data), "logs", "portal.log"))
	if err != nil {
		return err
	}
	defer file.Close()
	// The file first, and stderr's errors ignored: a Windows service has no
	// valid stderr, and MultiWriter stops at the first writer that fails.
	var out io.Writer = io.MultiWriter(file, bestEffort{os.Stderr}) // journald and launchd read stderr
	prg.log = slog.New(slog.NewJSONHandler(out, nil))
	if sys, err := s.SystemLogger(nil); err == nil && runtime.GOOS == "windows" {
		prg.log = slog.New(logfile.Tee(prg.log.Handler(), sys)) // the Windows event log
	}
	return s.Run()
}

// bestEffort writes where it can and never fails its caller.
type bestEffort struct{ w io.Writer }

func (b bestEffort) Write(p []byte) (int, error) {
	b.w.Write(p)
	return len(p), nil
}
