package api

import (
	"context"
	"errors"
	"net/http"
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

// liveFilter reads events= into a matcher: "*", event names, "area.*".
func liveFilter(raw string) (func(string) bool, error) {
	if raw == "" {
		return func(string) bool { return true }, nil
	}
	var patterns []string
	for _, p := range strings.Split(raw, ",") {
		p = strings.TrimSpace(p)
		if p != "*" && !hooks.KnownEvent("portal", p) {
			return nil, validation("events", p+" is not an event name, \"*\" or \"area.*\"")
		}
		patterns = append(patterns, p)
	}
	w := &store.Webhook{Events: patterns}
	return func(name string) bool { return hooks.Subscribed(w, name) }, nil
}

func (s *Server) live(w http.ResponseWriter, r *http.Request, p *Principal) error {
	q := r.URL.Query()
	for name := range q {
		if name != "events" && name != "since" {
			return validation(name, "is not a parameter of the live feed (events, since)")
		}
	}
	filter, err := liveFilter(q.Get("events"))
	if err != nil {
		return err
	}
	var since uint64
	resume := q.Get("since") != ""
	if resume {
		if since, err = p.Store.EventSeq(q.Get("since")); err != nil {
			return validation("since", "must be an event id (evt_…) of this store's log")
		}
	}
	if !websocket.IsWebSocketUpgrade(r) {
		return validation("Upgrade", "the live feed is a websocket: connect with Upgrade: websocket")
	}
	upgrader := websocket.Upgrader{
		// A cookie rides along with any page's request, so the console's
		// connections must come from its own origin; a key is not ambient.
		CheckOrigin: func(r *http.Request) bool { return !p.Session || sameOrigin(r) },
	}
	hub := s.liveHubs[p.Store.Mode()]
	sub, from := hub.subscribe(func(name string) bool { return filter(name) && p.canSeeEvent(name) })
	defer hub.unsubscribe(sub)
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return nil // the upgrader has answered
	}
	defer conn.Close()
	if !resume {
		since = from
	}
	s.serveLive(conn, p, sub, since, from, filter)
	return nil
}

// serveLive writes the backlog after since (up to the hub's position at
// subscription) from the log, then what the hub hands over, pinging to keep
// the connection and dropping it when the client stops reading.
func (s *Server) serveLive(conn *websocket.Conn, p *Principal, sub *liveSub, since, from uint64, filter func(string) bool) {
	closed := make(chan struct{})
	go func() { // the reader: pongs, and noticing the client leave
		defer close(closed)
		conn.SetReadLimit(1 << 10)
		conn.SetReadDeadline(time.Now().Add(livePongWait))
		conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(livePongWait)) })
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	send := func(ev store.StoredEvent) bool {
		conn.SetWriteDeadline(time.Now().Add(liveWriteWait))
		return conn.WriteMessage(websocket.TextMessage, ev.JSON) == nil
	}
	for since < from {
		backlog, err := p.Store.EventsAfter(since, min(500, int(from-since)))
		if err != nil || len(backlog) == 0 {
			return
		}
		for _, ev := range backlog {
			if ev.Seq > from {
				break
			}
			if filter(ev.Name) && p.canSeeEvent(ev.Name) && !send(ev) {
				return
			}
			since = ev.Seq
		}
	}
	ping := time.NewTicker(livePing)
	defer ping.Stop()
	for {
		select {
		case ev := <-sub.events:
			if !send(ev) {
				return
			}
		case <-sub.dropped:
			conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation,
				"too slow: reconnect with since= the last event id you read"), time.Now().Add(time.Second))
			return
		case <-ping.C:
			if conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(liveWriteWait)) != nil {
				return
			}
		case <-closed:
			return
		}
	}
}
