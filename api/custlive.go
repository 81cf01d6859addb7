package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"portal/store"
)

// The customer's live feed (GET /c/api/live): a websocket that tells the
// open page when one of the customer's own records changes. It never passes
// a staff event on: for each event it re-reads the record the event names,
// checks that it is the customer's, and sends the customer's view of it, as
// the page's GET would answer it. The session is checked again at each event
// (and at each ping), so revoking the customer's links closes the feed.

// customerLiveMessage is one message of the feed.
type customerLiveMessage struct {
	Type  string `json:"type"`  // "ticket", "proposal", …: the record's kind
	Event string `json:"event"` // what happened (ticket.status_changed)
	ID    uint64 `json:"id"`
	Data  any    `json:"data"` // the customer's view, as GET /c/api/<type>s/{id}
}

// customerLiveShaper turns events of one area into the customer's view of
// the record they name. shape answers errCustomerNotFound (or any error)
// for a record that is not the customer's to see: nothing is sent then.
type customerLiveShaper struct {
	area    string // the event name's prefix: "ticket"
	idField string // where the event's data names the record: "ticket_id"
	shape   func(c *CustomerPrincipal, id uint64) (any, error)
}

// customerLiveShapers: one per kind of record the page shows. A helper
// adding a kind of record to the page adds its shaper here.
func (s *Server) customerLiveShapers() []customerLiveShaper {
	return []customerLiveShaper{
		{area: "ticket", idField: "ticket_id", shape: func(c *CustomerPrincipal, id uint64) (any, error) { return customerTicket(c, id) }},
		{area: "proposal", idField: "proposal_id", shape: customerProposalLive},
	}
}

// customerProposalLive is a minimal view of a proposal for the feed: which
// one and its status, never its lines or notes; the page re-reads the
// proposal through its own route. Drafts are the shop's own business.
func customerProposalLive(c *CustomerPrincipal, id uint64) (any, error) {
	raw, err := c.Store.Proposal(id)
	if err != nil {
		return nil, err
	}
	var p store.Proposal
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, err
	}
	if p.CustomerID != c.CustomerID || p.Status == store.ProposalDraft {
		return nil, errCustomerNotFound
	}
	return map[string]any{"id": p.ID, "number": p.Number, "name": p.Name, "status": p.Status, "updated_at": p.UpdatedAt}, nil
}

func (s *Server) customerLive(w http.ResponseWriter, r *http.Request, c *CustomerPrincipal) error {
	if !websocket.IsWebSocketUpgrade(r) {
		return validation("Upgrade", "the live feed is a websocket: connect with Upgrade: websocket")
	}
	release, ok := s.liveSlots.take("customer:" + c.Mode + ":" + strconv.FormatUint(c.CustomerID, 10))
	if !ok {
		return newError(http.StatusTooManyRequests, "RATE_LIMITED", "Too many open pages; close one first")
	}
	defer release()
	shapers := s.customerLiveShapers()
	wants := func(name string) bool {
		area, _, _ := strings.Cut(name, ".")
		if area == "customer" {
			return true // a revocation or deletion: the session is checked again
		}
		for _, sh := range shapers {
			if sh.area == area {
				return true
			}
		}
		return false
	}
	hub := s.liveHubs[store.Mode(c.Mode)]
	// Subscribed before the upgrade: nothing committed after the page's
	// GETs and before the feed opens is missed.
	sub, _ := hub.subscribe(wants)
	defer hub.unsubscribe(sub)
	upgrader := websocket.Upgrader{CheckOrigin: sameOrigin} // a cookie rides along with any page's request
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return nil // the upgrader has answered
	}
	defer conn.Close()
	s.followCustomer(conn, c, sub, shapers)
	return nil
}

// followCustomer sends the customer's views until the page leaves, the
// session ends or the subscriber lags (the page reconnects and re-reads).
func (s *Server) followCustomer(conn *websocket.Conn, c *CustomerPrincipal, sub *liveSub, shapers []customerLiveShaper) {
	writeWait := s.cfg.LiveWriteWait
	if writeWait == 0 {
		writeWait = liveWriteWait
	}
	closed := make(chan struct{})
	go func() { // the reader: pongs, and noticing the page leave
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
	still := func() bool {
		epoch, err := c.Store.CustomerLinkEpoch(c.CustomerID)
		return err == nil && epoch == c.epoch && s.cfg.Now().Before(c.expires)
	}
	end := func() {
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation,
			"signed out"), time.Now().Add(time.Second))
	}
	ping := time.NewTicker(livePing)
	defer ping.Stop()
	for {
		select {
		case <-closed:
			return
		case <-sub.lagged:
			conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseTryAgainLater,
				"fell behind: reconnect and reload"), time.Now().Add(time.Second))
			return
		case <-ping.C:
			if !still() {
				end()
				return
			}
			conn.SetWriteDeadline(time.Now().Add(writeWait))
			if conn.WriteMessage(websocket.PingMessage, nil) != nil {
				return
			}
		case ev := <-sub.events:
			if !still() {
				end()
				return
			}
			msg, ok := customerMessage(c, ev, shapers)
			if !ok {
				continue
			}
			raw, err := json.Marshal(msg)
			if err != nil {
				return
			}
			conn.SetWriteDeadline(time.Now().Add(writeWait))
			if conn.WriteMessage(websocket.TextMessage, raw) != nil {
				return
			}
		}
	}
}

// customerMessage is the customer's view of the record an event names, if
// it is theirs to see.
func customerMessage(c *CustomerPrincipal, ev store.StoredEvent, shapers []customerLiveShaper) (customerLiveMessage, bool) {
	area, _, _ := strings.Cut(ev.Name, ".")
	for _, sh := range shapers {
		if sh.area != area {
			continue
		}
		var e struct {
			Data map[string]json.RawMessage `json:"data"`
		}
		if json.Unmarshal(ev.JSON, &e) != nil {
			return customerLiveMessage{}, false
		}
		id, err := strconv.ParseUint(string(e.Data[sh.idField]), 10, 64)
		if err != nil || id == 0 {
			return customerLiveMessage{}, false
		}
		view, err := sh.shape(c, id)
		if err != nil {
			return customerLiveMessage{}, false
		}
		return customerLiveMessage{Type: sh.area, Event: ev.Name, ID: id, Data: view}, true
	}
	return customerLiveMessage{}, false
}
