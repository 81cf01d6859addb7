package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"portal/hooks"
	"portal/store"
)

// The live feed (GET /api/v1/live): a websocket that sends each event
// object, as the log holds it, to subscribers whose filter and scopes take it.

const (
	liveWriteWait = 10 * time.Second
	livePongWait  = 60 * time.Second
	livePing      = 25 * time.Second
)

func (s *Server) liveRoutes() []route {
	return []route{
		{method: "GET", path: "/live", scope: "live", handle: s.live, summary: "Websocket of events as they happen; events= filters (names, area.*), since=evt_… resumes", out: store.Event{}},
	}
}

// RunLive feeds the live subscribers of both stores until ctx ends.
func (s *Server) RunLive(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, h := range []*liveHub{s.liveHubs[store.Live], s.liveHubs[store.Test]} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- h.run(ctx)
		}()
	}
	wg.Wait()
	close(errs)
	return errors.Join(<-errs, <-errs)
}

// LiveSubscribers counts open live connections.
func (s *Server) LiveSubscribers() int {
	return s.liveHubs[store.Live].count() + s.liveHubs[store.Test].count()
}

// maxLiveFilters bounds events=: every event name and area fits well within
// it, and a subscriber's filter is matched against every event it is sent.
const maxLiveFilters = 64

// maxLivePerKey bounds the live connections one rate-limited key holds
// open: each costs a goroutine pair and a buffer. Unlimited principals
// (internal keys, the console's sessions) are bounded by nothing, as with
// the rate limit.
const maxLivePerKey = 16

// liveFilter reads events= into a matcher: "*", event names, "area.*".
func liveFilter(raw string) (func(string) bool, error) {
	if raw == "" {
		return func(string) bool { return true }, nil
	}
	list := strings.Split(raw, ",")
	if len(list) > maxLiveFilters {
		return nil, validation("events", fmt.Sprintf("at most %d names or areas", maxLiveFilters))
	}
	var patterns []string
	for _, p := range list {
		p = strings.TrimSpace(p) // parsing the list; each name is then matched exactly
		if p != "*" && !hooks.KnownEvent("portal", p) {
			return nil, validation("events", p+" is not an event name, \"*\" or \"area.*\"")
		}
		if !slices.Contains(patterns, p) {
			patterns = append(patterns, p)
		}
	}
	w := &store.Webhook{Events: patterns}
	return func(name string) bool { return hooks.Subscribed(w, name) }, nil
}

func (s *Server) live(w http.ResponseWriter, r *http.Request, p *Principal) error {
	q := r.URL.Query()
	for name := range q {
		switch {
		case name == "mode" && p.Session:
			if m := q.Get(name); m != string(store.Live) && m != string(store.Test) {
				return validation(name, "must be live or test")
			}
		case name != "events" && name != "since":
			return validation(name, "is not a parameter of the live feed (events, since)")
		}
	}
	filter, err := liveFilter(q.Get("events"))
	if err != nil {
		return err
	}
	hub := s.liveHubs[p.Store.Mode()]
	hold := hub.hold(0) // taken before the check, so the pruner cannot slip in between
	defer hub.release(hold)
	var since uint64
	resume := q.Get("since") != ""
	if resume {
		if since, err = p.Store.Resume(q.Get("since"), hold.next.Store); err != nil {
			var gone *store.GoneError
			if errors.As(err, &gone) {
				return err // 410, before upgrading: the client must start afresh
			}
			return validation("since", "must be an event id (evt_…) of this store's log")
		}
	}
	if !websocket.IsWebSocketUpgrade(r) {
		return validation("Upgrade", "the live feed is a websocket: connect with Upgrade: websocket")
	}
	release, ok := s.liveSlots.take(p.liveHolder())
	if !ok {
		return newError(http.StatusTooManyRequests, "RATE_LIMITED",
			fmt.Sprintf("This key already holds %d live connections; close one first", maxLivePerKey))
	}
	defer release()
	upgrader := websocket.Upgrader{
		// A cookie rides along with any page's request, so the console's
		// connections must come from its own origin; a key is not ambient.
		CheckOrigin: func(r *http.Request) bool { return !p.Session || sameOrigin(r) },
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return nil // the upgrader has answered
	}
	defer conn.Close()
	wants := func(name string) bool { return filter(name) && p.canSeeEvent(name) }
	s.serveLive(conn, p.Store, hub, hold, wants, resume, since, s.stillAllowed(r, p))
	return nil
}

// liveHolder names the key whose live connections are counted; "" is not
// counted (unlimited principals, the admin socket).
func (p *Principal) liveHolder() string {
	if p.Session || p.KeyID == 0 || store.Tiers[p.Tier] == 0 {
		return ""
	}
	return "key:" + strconv.FormatUint(p.KeyID, 10)
}

// liveSlots counts open live connections per key.
type liveSlots struct {
	mu   sync.Mutex
	open map[string]int
}

func (l *liveSlots) take(holder string) (release func(), ok bool) {
	if holder == "" {
		return func() {}, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[holder] >= maxLivePerKey {
		return nil, false
	}
	if l.open == nil {
		l.open = map[string]int{}
	}
	l.open[holder]++
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.open[holder]--; l.open[holder] <= 0 {
			delete(l.open, holder)
		}
	}, true
}

// stillAllowed re-checks, for a long-lived connection, that its key was not
// revoked nor its scopes changed (a user key follows its staff member), or
// its session ended or changed role. It runs at every ping and at once after
// any change to keys or staff (store.AccessChanged).
func (s *Server) stillAllowed(r *http.Request, p *Principal) func() bool {
	if !p.Session && p.KeyID == 0 { // the admin socket's own feed
		return func() bool { return true }
	}
	if !p.Session {
		secret := presentedKey(r)
		scopes := slices.Clone(p.Scopes)
		return func() bool {
			k, err := s.cfg.Live.Authenticate(secret)
			return err == nil && slices.Equal(k.Scopes, scopes)
		}
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return func() bool { return false }
	}
	role := ""
	if u, err := s.cfg.Live.SessionUser(c.Value); err == nil {
		role = u.Role
	}
	return func() bool {
		u, err := s.cfg.Live.SessionUser(c.Value)
		return err == nil && u.Role == role
	}
}

// liveConn writes one subscriber's events.
type liveConn struct {
	conn      *websocket.Conn
	hold      *liveHold // what it may still read from the log (livehold.go)
	writeWait time.Duration
	closed    chan struct{} // the client left
	allowed   func() bool   // checked at every ping and after every access change
	// accessChanged is closed by the next change to keys or staff.
	accessChanged func() <-chan struct{}
}

func (c *liveConn) send(ev store.StoredEvent) bool {
	c.conn.SetWriteDeadline(time.Now().Add(c.writeWait))
	return c.conn.WriteMessage(websocket.TextMessage, ev.JSON) == nil
}

// serveLive sends, in log order: what followed since (when resuming), then
// what the hub hands over. A subscriber that falls behind the hub catches up
// from the log and rejoins; one that stops reading fails a write within
// writeWait and is dropped, without holding anyone else up.
func (s *Server) serveLive(conn *websocket.Conn, st *store.Store, hub *liveHub, hold *liveHold, wants func(string) bool, resume bool, since uint64, allowed func() bool) {
	c := &liveConn{conn: conn, hold: hold, writeWait: s.cfg.LiveWriteWait, closed: make(chan struct{}), allowed: allowed,
		accessChanged: s.cfg.Live.AccessChanged}
	if c.writeWait == 0 {
		c.writeWait = liveWriteWait
	}
	go func() { // the reader: pongs, and noticing the client leave
		defer close(c.closed)
		conn.SetReadLimit(1 << 10)
		conn.SetReadDeadline(time.Now().Add(livePongWait))
		conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(livePongWait)) })
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	ping := time.NewTicker(livePing)
	defer ping.Stop()
	for {
		sub, from := hub.subscribe(wants)
		if !resume {
			since, resume = from, true
		}
		last, ok := s.liveBacklog(c, st, wants, since, from)
		if ok {
			c.hold.next.Store(0) // caught up: the hub's position covers it
			last, ok = c.follow(sub, ping, last)
		}
		if ok {
			c.hold.next.Store(last + 1) // it lagged: it reads the log again from here
		}
		hub.unsubscribe(sub)
		if !ok {
			return
		}
		since = last // it lagged: catch up from the log and rejoin
	}
}

// liveBacklog sends the events after since up to from, read from the log.
func (s *Server) liveBacklog(c *liveConn, st *store.Store, wants func(string) bool, since, from uint64) (uint64, bool) {
	if since >= from {
		return since, true // resuming from an event the hub has yet to hand out
	}
	for since < from {
		evs, err := st.EventsAfter(since, min(500, int(from-since)))
		if err != nil || len(evs) == 0 {
			return since, false
		}
		for _, ev := range evs {
			if ev.Seq > from {
				return since, true
			}
			if wants(ev.Name) && !c.send(ev) {
				return since, false
			}
			since = ev.Seq
			c.hold.next.Store(since + 1)
		}
	}
	return from, true
}

// revoked tells the client why it is being closed: its key, session or
// scopes changed (it may reconnect and get what it may now see).
func (c *liveConn) revoked() {
	c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation,
		"access revoked or changed"), time.Now().Add(time.Second))
}

// follow sends what the hub hands over until the connection ends (false)
// or the subscriber lags (true, with the last event sent).
func (c *liveConn) follow(sub *liveSub, ping *time.Ticker, last uint64) (uint64, bool) {
	changed := c.accessChanged()
	for {
		select {
		case ev := <-sub.events:
			if ev.Seq <= last {
				continue // already sent from the log
			}
			if !c.send(ev) {
				return last, false
			}
			last = ev.Seq
		case <-sub.lagged:
			for { // what the hub did hand over comes first
				select {
				case ev := <-sub.events:
					if ev.Seq <= last {
						continue
					}
					if !c.send(ev) {
						return last, false
					}
					last = ev.Seq
				default:
					return last, true
				}
			}
		case <-changed:
			changed = c.accessChanged() // taken before the check, so no later change is missed
			if !c.allowed() {
				c.revoked()
				return last, false
			}
		case <-ping.C:
			if !c.allowed() {
				c.revoked()
				return last, false
			}
			if c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.writeWait)) != nil {
				return last, false
			}
		case <-c.closed:
			return last, false
		}
	}
}
