package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kardianos/service"
	"github.com/prometheus/client_golang/prometheus"

	"portal/api"
	"portal/chain"
	"portal/hooks"
	"portal/internal/certs"
	"portal/internal/datafolder"
	"portal/internal/retention"
	"portal/mail"
	"portal/store"
)

// serveConfig is what `portal serve` is told by flags and environment.
type serveConfig struct {
	addr     string
	data     datafolder.Dir
	dataSet  bool // --data or PORTAL_DATA was given (else the service installs into the OS's place)
	sandbox  bool
	tlsCert  string
	tlsKey   string
	retries  []time.Duration // --webhook-retry-schedule; nil: each format's own
	schedule string          // the schedule as given, for the service's command line
	// mailRetries are the customer emails' retry delays (--mail-retry-schedule;
	// nil: mail.DefaultSchedule); mailSchedule is it as given.
	mailRetries  []time.Duration
	mailSchedule string
	// retention is how long the event log keeps events (--event-retention);
	// retentionArg is it as given, for the service's command line.
	retention    time.Duration
	retentionArg string
	// service is set under the OS's service manager, where nobody reads
	// stdout: what a person needs to start is logged as well.
	service bool
	// started, when set, receives the base URL once the server serves
	// (the service wrapper and its tests wait on it).
	started chan<- string

	// pluginCatalog is a local plugin catalog file (--plugin-catalog), read
	// when the shop names no plugin_catalog_url.
	pluginCatalog string

	// chain is the NATS JetStream mirror set by --nats-url and its
	// companions; nil: the console's settings decide (off until saved).
	// Its Shop may be "": the shop id the settings derive.
	chain *chain.Config
}

func parseServe(args []string) (serveConfig, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", envOr("PORTAL_ADDR", "127.0.0.1:8080"), "listen address")
	data := dataFlag(fs)
	sandbox := fs.Bool("sandbox", envBool("PORTAL_SANDBOX"), "developer sandbox: demo data, loopback webhooks")
	cert := fs.String("tls-cert", os.Getenv("PORTAL_TLS_CERT"), "TLS certificate file")
	key := fs.String("tls-key", os.Getenv("PORTAL_TLS_KEY"), "TLS key file")
	pluginCatalog := fs.String("plugin-catalog", os.Getenv("PORTAL_PLUGIN_CATALOG"), "a local plugin catalog (JSON) for Settings → Plugins, when the shop names no plugin_catalog_url")
	schedule := fs.String("webhook-retry-schedule", os.Getenv("PORTAL_WEBHOOK_RETRY_SCHEDULE"), "retry delays for every webhook format, e.g. 1s,5s (tests and demos)")
	mailSchedule := fs.String("mail-retry-schedule", os.Getenv("PORTAL_MAIL_RETRY_SCHEDULE"), "retry delays for customer emails, e.g. 1s,5s (tests and demos; default 1m,5m,30m,2h,12h)")
	keep := fs.String("event-retention", envOr("PORTAL_EVENT_RETENTION", "30d"), "how long the event log keeps events: days (30d) or a duration (720h), at least 1d")
	natsURL := fs.String("nats-url", os.Getenv("PORTAL_NATS_URL"), "mirror the event log to NATS JetStream at this URL (nats://host:4222, tls://…; several comma-separated); sets the chain instead of Settings → Appliance")
	natsCreds := fs.String("nats-creds", os.Getenv("PORTAL_NATS_CREDS"), "a NATS .creds file (user JWT and nkey seed) for --nats-url")
	natsStream := fs.String("nats-stream", envOr("PORTAL_NATS_STREAM", chain.DefaultStream), "the JetStream stream for --nats-url, created when missing (subjects portal.>)")
	natsShop := fs.String("nats-shop", os.Getenv("PORTAL_NATS_SHOP"), "this shop's subject token for --nats-url: portal.<shop>.<event> (default: a stable id derived from the data folder)")
	natsTest := fs.Bool("nats-include-test", envBool("PORTAL_NATS_INCLUDE_TEST"), "also mirror test-mode events, to portal.<shop>.test.<event>")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return serveConfig{}, err
	}
	if len(rest) > 0 {
		return serveConfig{}, usageErr("serve takes no arguments, got %q", rest[0])
	}
	cfg := serveConfig{addr: *addr, data: datafolder.Dir(*data), sandbox: *sandbox, tlsCert: *cert, tlsKey: *key,
		schedule: *schedule, dataSet: os.Getenv("PORTAL_DATA") != "", pluginCatalog: *pluginCatalog}
	fs.Visit(func(f *flag.Flag) { cfg.dataSet = cfg.dataSet || f.Name == "data" })
	if cfg.retries, err = parseSchedule("--webhook-retry-schedule", *schedule); err != nil {
		return cfg, err
	}
	cfg.mailSchedule = *mailSchedule
	if cfg.mailRetries, err = parseSchedule("--mail-retry-schedule", *mailSchedule); err != nil {
		return cfg, err
	}
	if cfg.retention, err = parseRetention(*keep); err != nil {
		return cfg, err
	}
	cfg.retentionArg = *keep
	if (cfg.tlsCert == "") != (cfg.tlsKey == "") {
		return cfg, usageErr("--tls-cert and --tls-key go together")
	}
	if cfg.chain, err = parseChain(fs, *natsURL, *natsCreds, *natsStream, *natsShop, *natsTest); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// parseChain reads the --nats-… flags into the chain's config: nil without
// --nats-url, and a usage error for a companion flag without it or for a
// value the publisher would refuse, so that a mistake stops serve (and
// `service install`) at once rather than showing up later as a status.
func parseChain(fs *flag.FlagSet, url, creds, stream, shop string, includeTest bool) (*chain.Config, error) {
	if strings.TrimSpace(url) == "" {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		for _, companion := range []string{"nats-creds", "nats-stream", "nats-shop", "nats-include-test"} {
			if given[companion] {
				return nil, usageErr("--%s needs --nats-url", companion)
			}
		}
		return nil, nil // the environment's companions alone change nothing
	}
	if stream == "" {
		stream = chain.DefaultStream
	}
	c := &chain.Config{URL: store.NormalizeNATSURL(url), CredsFile: creds, Stream: stream, Shop: shop, IncludeTest: includeTest}
	check := *c
	if check.Shop == "" {
		check.Shop = "shop" // the derived default is valid; only the other fields are checked here
	}
	if err := check.Validate(); err != nil {
		return nil, usageErr("%s", chainFlagError(err))
	}
	return c, nil
}

// chainFlagError names the flag behind a chain.Config field in its message.
func chainFlagError(err error) string {
	var ve *store.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	flags := map[string]string{"nats_url": "--nats-url", "creds": "--nats-creds", "stream": "--nats-stream", "shop": "--nats-shop"}
	var parts []string
	for _, f := range ve.Fields {
		name := flags[f.Field]
		if name == "" {
			name = f.Field
		}
		parts = append(parts, name+": "+f.Message)
	}
	if len(parts) == 0 {
		return err.Error()
	}
	return strings.Join(parts, "; ")
}

// parseSchedule reads a retry schedule flag: comma-separated positive
// durations ("" is nil: the default).
func parseSchedule(flag, s string) ([]time.Duration, error) {
	if s == "" {
		return nil, nil
	}
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d <= 0 {
			return nil, usageErr("%s: %q is not a positive duration such as 30s or 2h", flag, part)
		}
		out = append(out, d)
	}
	return out, nil
}

// parseRetention reads --event-retention: whole days ("30d") or a Go
// duration ("720h"), at least a day.
func parseRetention(s string) (time.Duration, error) {
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n uint64
		n, err = strconv.ParseUint(days, 10, 16)
		d = time.Duration(n) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil {
		return 0, usageErr("--event-retention: %q is not a duration such as 30d or 720h", s)
	}
	if d < store.MinRetention {
		return 0, usageErr("--event-retention: %s is shorter than the minimum of 1 day (1d or 24h)", s)
	}
	return d, nil
}

func envBool(name string) bool {
	v, _ := strconv.ParseBool(os.Getenv(name))
	return v
}

// servesTLS reports whether serve answers HTTPS: always on an address the
// network can reach, and on loopback when given a certificate.
func (c serveConfig) servesTLS() bool {
	return c.tlsCert != "" || !isLoopback(c.addr)
}

// isLoopback reports whether addr listens only on this machine.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loadServeCert returns the certificate serve presents, or nil for plain
// HTTP. Without --tls-cert/--tls-key it is the data folder's self-signed
// pair, made on first start and kept from then on.
func loadServeCert(cfg serveConfig, log *slog.Logger) (*certs.Files, error) {
	if !cfg.servesTLS() {
		return nil, nil
	}
	if cfg.tlsCert != "" {
		return certs.Load(cfg.tlsCert, cfg.tlsKey, log)
	}
	return certs.LoadSelfSigned(cfg.data.SelfSignedCert(), cfg.data.SelfSignedKey(), cfg.addr, log)
}

func cmdServe(args []string) error {
	cfg, err := parseServe(args)
	if err != nil {
		return err
	}
	if !service.Interactive() {
		return runService(cfg) // started by systemd, launchd or the Windows service manager
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runServe(ctx, cfg, newLogger())
}

// runServe serves until ctx ends, then shuts down gracefully: the same
// path for a terminal's Ctrl+C, SIGTERM and the OS service manager's stop.
func runServe(ctx context.Context, cfg serveConfig, log *slog.Logger) error {
	dirs, err := cfg.data.Open(time.Second)
	if err != nil {
		return err
	}
	defer dirs.Close()
	cert, err := loadServeCert(cfg, log) // nil: plain HTTP
	if err != nil {
		return err
	}

	metrics := prometheus.NewRegistry() // this server's own: GET /metrics serves it
	engine := hooks.New(hooks.Config{Sealer: dirs.Sealer, Sandbox: cfg.sandbox, Schedule: cfg.retries, Log: log,
		Metrics: hooks.NewMetrics(metrics), OwnerScopes: dirs.Live.ScopesOf})
	// The chain's publisher mirrors the logs into NATS JetStream once
	// configured (by the flags or the console's settings); off until then.
	pub := chain.New(chain.Options{Live: dirs.Live, Test: dirs.Test, Log: log, Metrics: metrics})
	var srv *api.Server // the mailer's links come from it, made just below
	mailer := mail.New(mail.Config{Sealer: dirs.Sealer, Schedule: cfg.mailRetries, Log: log,
		Link: func(mode store.Mode, customerID uint64) (string, error) {
			url, _, err := srv.PortalLink(string(mode), customerID)
			return url, err
		}})
	srv = api.New(api.Config{Live: dirs.Live, Test: dirs.Test, Sealer: dirs.Sealer, UI: consoleFS(), Sandbox: cfg.sandbox, PluginCatalog: cfg.pluginCatalog, Mail: mailer,
		Hooks: engine, Log: log, Backup: dirs.Archiver(version), TLSFingerprint: cert.Fingerprint, Metrics: metrics, Chain: pub, ChainFlags: cfg.chain})

	// The chain in effect (the flags', else the console's saved settings),
	// before anything serves: a console change can then only come after it.
	if err := srv.ApplyChain(); err != nil {
		log.Error("chain of shops: its settings cannot be read; not mirroring", "err", err)
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	handler, scheme := srv.Handler(), "http"
	if cert != nil {
		ln, handler, scheme = certs.NewSplitListener(ln, cert.TLSConfig()), srv.RequireTLS(handler), "https"
		fmt.Printf("TLS certificate SHA-256 fingerprint: %s\n", cert.Fingerprint())
		log.Info("TLS certificate", "fingerprint", cert.Fingerprint())
	}
	base := fmt.Sprintf("%s://%s", scheme, displayAddr(ln.Addr()))
	srv.SetPublicBase(base) // customer links in emails start here (api.Server.PortalLink)

	admin, err := cfg.data.ListenAdmin()
	if err != nil {
		ln.Close()
		return err
	}

	httpSrv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	adminSrv := &http.Server{Handler: srv.AdminHandler(), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 2)
	go func() { errc <- httpSrv.Serve(ln) }()
	go func() { errc <- adminSrv.Serve(admin) }()

	if err := announce(ctx, dirs, cfg, base, log); err != nil {
		shutdown(log, httpSrv, adminSrv)
		return err
	}
	hooksCtx, stopHooks := context.WithCancel(context.Background())
	var hooksDone sync.WaitGroup
	for _, s := range []*store.Store{dirs.Live, dirs.Test} {
		hooksDone.Add(1)
		go func() {
			defer hooksDone.Done()
			if err := engine.Run(hooksCtx, s); err != nil {
				log.Error("webhook engine", "store", s.Mode(), "err", err)
			}
		}()
	}
	for _, s := range []*store.Store{dirs.Live, dirs.Test} {
		hooksDone.Add(1)
		go func() {
			defer hooksDone.Done()
			if err := mailer.Run(hooksCtx, s); err != nil {
				log.Error("mail", "store", s.Mode(), "err", err)
			}
		}()
	}
	hooksDone.Add(1)
	go func() {
		defer hooksDone.Done()
		if err := pub.Run(hooksCtx); err != nil {
			log.Error("chain publisher", "err", err)
		}
	}()
	hooksDone.Add(1)
	go func() {
		defer hooksDone.Done()
		if err := srv.RunLive(hooksCtx); err != nil {
			log.Error("live feed", "err", err)
		}
	}()
	hooksDone.Add(1)
	go func() {
		defer hooksDone.Done()
		srv.RunClosingTime(hooksCtx) // visitors still in at their location's closing time
	}()
	hooksDone.Add(1)
	go func() {
		defer hooksDone.Done()
		srv.RunProposalExpiry(hooksCtx) // quotes past their expires_at
	}()
	// Senders (webhooks, emails, the chain's publisher), the live feed and the closing-time check-out stop before the
	// stores close; unfinished deliveries keep their lease (the publisher its cursor) and go out again after the next start.
	defer hooksDone.Wait()
	defer stopHooks()
	defer dirs.StartDailyBackups(ctx, version, log)() // stopped before the stores close
	defer dirs.StartFileCollection(ctx, log)()        // likewise
	// Events a live subscriber or the chain's publisher still needs stay.
	pruner := retention.Pruner{Keep: cfg.retention, Log: log, Targets: []retention.Target{
		{Store: dirs.Live, Hold: lowerHold(srv.EventHold(store.Live), pub.Hold(store.Live))},
		{Store: dirs.Test, Hold: lowerHold(srv.EventHold(store.Test), pub.Hold(store.Test))}}}
	defer pruner.Start(ctx)() // likewise

	srv.SetReady(true)
	log.Info("portal serving", "addr", ln.Addr().String(), "data", string(cfg.data), "sandbox", cfg.sandbox, "version", version)
	if cfg.started != nil {
		cfg.started <- base
	}

	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			shutdown(log, httpSrv, adminSrv)
			return err
		}
	}
	srv.SetReady(false)
	shutdown(log, httpSrv, adminSrv)
	return nil
}

// lowerHold combines retention holds: the lower non-zero seq of the two
// (0 when neither holds anything).
func lowerHold(a, b func() uint64) func() uint64 {
	return func() uint64 {
		x, y := a(), b()
		if x == 0 || (y != 0 && y < x) {
			return y
		}
		return x
	}
}

// announce prints what a person needs to start: the setup link while the
// owner has no password, and in the sandbox the developer key.
func announce(ctx context.Context, dirs *datafolder.Stores, cfg serveConfig, base string, log *slog.Logger) error {
	fmt.Printf("Portal is running at %s\n", base)
	token, err := dirs.Live.StartSetup(ctx)
	if err != nil {
		return err
	}
	if token != "" {
		link := fmt.Sprintf("%s/setup#token=%s", base, token)
		fmt.Printf("Finish setting up the owner account (link valid 24 h): %s\n", link)
		if cfg.service {
			// Only the service's log (the data folder's, 0600, and the
			// system's) reaches whoever installed it; the link is single-use.
			log.Info("finish setting up the owner account (link valid 24 h)", "link", link)
		}
	}
	if cfg.sandbox {
		if err := seedDemo(ctx, dirs.Test); err != nil {
			return fmt.Errorf("sandbox demo data: %w", err)
		}
		key, err := sandboxKey(ctx, dirs)
		if err != nil {
			return err
		}
		fmt.Printf("Sandbox developer key (test store): %s\n", key)
		fmt.Printf("Try: curl -H 'Authorization: Bearer %s' %s/api/v1/tickets\n", key, base)
	}
	return nil
}

// sandboxKey is the same developer key on every start, kept sealed in the
// test store, so a developer's scripts keep working across restarts. If it
// was revoked, a new one replaces it.
func sandboxKey(ctx context.Context, dirs *datafolder.Stores) (string, error) {
	mint := func() (string, error) {
		k, err := dirs.Live.CreateKey(ctx, store.KeyInput{Type: store.KeyDeveloper, Name: "Sandbox", Scopes: store.AllScopes()}, dirs.Sealer)
		return k.Secret, err
	}
	key, err := dirs.Test.SealedValue(ctx, "sandbox_key", dirs.Sealer, mint)
	if err != nil {
		return "", err
	}
	if _, err := dirs.Live.Authenticate(key); err == nil {
		return key, nil
	}
	if key, err = mint(); err != nil {
		return "", err
	}
	return key, dirs.Test.SetSealedValue(ctx, "sandbox_key", key, dirs.Sealer)
}

func shutdown(log *slog.Logger, servers ...*http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(ctx); err != nil {
			// Connections still busy after the grace period (a stalled
			// download) are cut, so the stores can close.
			log.Warn("shutdown", "err", err)
			s.Close()
		}
	}
}

// displayAddr turns a wildcard listen address into one a browser can open.
func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("localhost", strconv.Itoa(tcp.Port))
}

// newLogger logs JSON when run by a service manager, text on a terminal.
func newLogger() *slog.Logger {
	var h slog.Handler
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		h = slog.NewTextHandler(os.Stderr, nil)
	} else {
		h = slog.NewJSONHandler(os.Stderr, nil)
	}
	return slog.New(h) // passed to every part; slog's default is never set
}
