package chain

import (
	"strings"
	"time"

	"portal/store"
)

// The publisher's states.
const (
	StateOff          = "off"          // no URL set
	StateConnecting   = "connecting"   // configured, not connected yet
	StateConnected    = "connected"    // connected, the stream checked
	StateDisconnected = "disconnected" // was connected or tried, retrying with backoff
)

// Status is what the console and GET /api/v1/appliance/chain show.
type Status struct {
	State       string        `json:"state"`              // off | connecting | connected | disconnected
	Error       string        `json:"error,omitempty"`    // the last failure in words, never a secret
	ErrorAt     *time.Time    `json:"error_at,omitempty"` // when it happened
	URL         string        `json:"url"`                // redacted
	Stream      string        `json:"stream"`
	Shop        string        `json:"shop"`
	IncludeTest bool          `json:"include_test"`
	Stores      []StoreStatus `json:"stores"` // live, then test when included
}

// StoreStatus is how far one store's events are mirrored.
type StoreStatus struct {
	Store            string     `json:"store"`             // live | test
	PublishedThrough uint64     `json:"published_through"` // the cursor: last seq JetStream acknowledged
	LastEvent        uint64     `json:"last_event"`
	LagEvents        uint64     `json:"lag_events"`
	LagSeconds       float64    `json:"lag_seconds"` // age of the oldest event not yet acknowledged; 0 caught up
	LastPublishedAt  *time.Time `json:"last_published_at"`
}

// words is err as the status shows it, with any secret of the config (a URL's
// user and password, a token) taken out. p.mu is held.
func (p *Publisher) words(err error) string {
	msg := err.Error()
	for _, u := range strings.Split(p.cfg.URL, ",") {
		u = strings.TrimSpace(u)
		if _, rest, ok := strings.Cut(u, "://"); ok {
			u = rest
		}
		if at := strings.LastIndex(u, "@"); at > 0 {
			info := u[:at]
			msg = strings.ReplaceAll(msg, info, "***")
			if _, pass, ok := strings.Cut(info, ":"); ok && pass != "" {
				msg = strings.ReplaceAll(msg, pass, "***")
			}
		}
	}
	return msg
}

func (p *Publisher) setConnected(on bool) {
	if p.metrics != nil {
		v := 0.0
		if on {
			v = 1
		}
		p.metrics.connected.Set(v)
	}
}

// Status reports the connection and how far each store is mirrored.
func (p *Publisher) Status() Status {
	p.mu.Lock()
	cfg := p.cfg
	st := Status{State: p.state, Error: p.errMsg, ErrorAt: p.errAt, URL: RedactURL(cfg.URL), Stream: cfg.stream(),
		Shop: cfg.Shop, IncludeTest: cfg.IncludeTest, Stores: []StoreStatus{}}
	last := map[store.Mode]time.Time{}
	for m, t := range p.lastPub {
		last[m] = t
	}
	p.mu.Unlock()
	if !cfg.On() {
		st.State = StateOff
		return st
	}
	for _, s := range p.stores(cfg) {
		ss, err := p.storeStatus(s)
		if err != nil {
			continue
		}
		if t, ok := last[s.Mode()]; ok {
			ss.LastPublishedAt = &t
		}
		st.Stores = append(st.Stores, ss)
	}
	return st
}

// storeStatus reads how far s is mirrored: the cursor, the log's end, and
// the age of the oldest event not yet acknowledged.
func (p *Publisher) storeStatus(s *store.Store) (StoreStatus, error) {
	cursor, last, err := s.NATSCursor()
	ss := StoreStatus{Store: string(s.Mode()), PublishedThrough: cursor, LastEvent: last}
	if err != nil || cursor >= last {
		return ss, err
	}
	ss.LagEvents = last - cursor
	next, err := s.EventsAfter(cursor, 1)
	if err != nil || len(next) == 0 {
		return ss, err
	}
	if at, _, err := s.EventIDTime(next[0].ID); err == nil {
		ss.LagSeconds = max(p.o.Now().Sub(at).Seconds(), 0)
	}
	return ss, nil
}

// Hold returns the retention hold for store m: the lowest seq not yet
// acknowledged by JetStream (the cursor + 1), so the pruner keeps what is
// still to be sent; 0 when off, when m is test and test events are not
// included, or when the config is not valid. The pruner calls it inside its
// write transaction, so it reads
// the cursor the publisher keeps in memory (set when a session starts and
// after each cursor write), never the store; before the first session has
// read it, it holds everything (1).
func (p *Publisher) Hold(m store.Mode) func() uint64 {
	return func() uint64 {
		p.mu.Lock()
		cfg, valid := p.cfg, p.cfgValid
		p.mu.Unlock()
		if !cfg.On() || (m == store.Test && !cfg.IncludeTest) {
			return 0
		}
		if !valid {
			return 0 // nothing is mirrored with it (the status shows why): the log is not kept for it
		}
		c := p.cursors[m]
		if c == nil {
			return 0
		}
		if next := c.Load(); next > 0 {
			return next
		}
		return 1
	}
}
