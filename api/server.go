// Package api is Portal's HTTP surface: the /api/v1 routes of API.md, the
// console's sign-in endpoints, the embedded UI and the admin socket's handler.
package api

import (
	"context"
	"crypto/rand"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"portal/chain"
	"portal/hooks"
	"portal/mail"
	"portal/store"
)

// Config is everything the API needs; main builds it.
type Config struct {
	Live, Test *store.Store
	Sealer     *store.Sealer
	UI         fs.FS // the embedded console; nil serves no UI
	Sandbox    bool
	Hooks      *hooks.Engine // sends "Send test" and "Redeliver" at once
	Mail       *mail.Mailer  // its timeout bounds "Send a test email"; nil: 20 s
	// LiveWriteWait is how long a live subscriber may leave a message unread
	// before it is dropped (default 10 s).
	LiveWriteWait time.Duration
	// TLSFingerprint is the SHA-256 fingerprint of the certificate being
	// served, asked at each request since it changes when the files are
	// replaced; nil or "" when serving plain HTTP.
	TLSFingerprint func() string
	Now            func() time.Time
	Log            *slog.Logger

	// Backup streams a backup archive (see store.WriteArchive) for
	// GET /api/v1/backup and the admin socket; nil: the server makes none.
	Backup func(ctx context.Context, w io.Writer) error

	// PluginCatalog is a local catalog file (serve --plugin-catalog), read
	// when the shop names no plugin_catalog_url.
	PluginCatalog string

	// Metrics is the registry GET /metrics serves; New adds the server's
	// collectors to it (metrics.go). Nil: no metrics, /metrics is 404.
	Metrics *prometheus.Registry

	// Chain is the publisher mirroring the event log into NATS JetStream
	// (chain.go applies the console's settings to it at once); nil: none.
	Chain *chain.Publisher
	// ChainFlags is the chain as serve's --nats-url flags set it; nil when
	// they are not given, and the console's settings apply.
	ChainFlags *chain.Config
}

// Server serves the API. Build it with New; it holds no package-level state.
type Server struct {
	cfg     Config
	limiter *rateLimiter
	reqSeq  atomic.Uint64
	reqPfx  string
	ready   atomic.Bool
	router  *mux.Router
	signins *signinGuard
	// liveHubs feed the live websocket, one per store (RunLive runs them).
	liveHubs map[store.Mode]*liveHub
	metrics  *httpMetrics // nil without Config.Metrics
	// liveSlots caps the live connections each key or staff member holds.
	liveSlots liveSlots
	kiosks    *kioskState // the kiosks' rate limits (kiosk.go)
	// bodyLimits are the routes that take more than maxBody ("POST /api/v1/import/customers").
	bodyLimits map[string]int64
	// fileKey signs attachment download URLs (files.go): derived from the
	// seal key, never the seal key itself.
	fileKey []byte
	// custKeys sign customer links and sessions (custportal.go); custGuard
	// limits sign-in guesses; base starts links made outside a request.
	custKeys  customerKeys
	custGuard *failGuard
	base      publicBaseHolder
	oauth     *oauthState // OAuth install consents and codes (oauth.go)
	// widgets hold widget tokens and the bridge's action limits (widgets.go).
	widgets *widgetState
	// chainMu orders chain settings changes from saving to the publisher.
	chainMu sync.Mutex
}

// New builds the server and its routes.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = discardLog // main passes its logger; tests may leave it out
	}
	s := &Server{cfg: cfg, limiter: newRateLimiter(cfg.Now), reqPfx: requestIDPrefix(), signins: newSigninGuard(cfg.Now),
		liveHubs: map[store.Mode]*liveHub{store.Live: newLiveHub(cfg.Live), store.Test: newLiveHub(cfg.Test)}}
	s.kiosks = newKioskState(cfg.Now)
	s.oauth = newOAuthState()
	s.widgets = newWidgetState(cfg.Now)
	s.fileKey = fileKey(cfg.Sealer)
	s.custKeys = newCustomerKeys(cfg.Sealer)
	s.custGuard = newFailGuard(cfg.Now, customerGuessWindow, customerWrongGuesses, customerGuessMemory)
	s.metrics = s.registerMetrics()
	s.router = s.buildRouter()
	return s
}

// Handler is the whole HTTP surface.
func (s *Server) Handler() http.Handler { return s.router }

// SetReady marks the server ready (healthz answers 200 from then on).
func (s *Server) SetReady(v bool) { s.ready.Store(v) }

// storeFor picks the data store a principal may see: test keys and the
// console's test mode see only the test store.
func (s *Server) storeFor(mode store.Mode) *store.Store {
	if mode == store.Test {
		return s.cfg.Test
	}
	return s.cfg.Live
}

// fileKey is the key of download URLs: derived from the seal key, or
// random (URLs die with the process) when the server has no sealer.
func fileKey(sealer *store.Sealer) []byte {
	if sealer != nil {
		return sealer.DeriveKey("file-urls")
	}
	k := make([]byte, 32)
	rand.Read(k)
	return k
}
