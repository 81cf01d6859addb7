package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"portal/store"
)

// What a customer sees of their repairs: shaped here, field by field, from
// the records — never the staff JSON passed through — so that nothing new
// on a staff record (an internal note, a cost, a staff member's surname)
// can reach the page by accident.

func (s *Server) portalAccessRoutes() []portalRoute {
	return []portalRoute{
		{method: "POST", path: "/login", handle: s.customerSignIn, public: true},
		{method: "POST", path: "/logout", handle: s.customerSignOut, public: true},
		{method: "GET", path: "/me", handle: s.getCustomerMe},
		{method: "GET", path: "/tickets", handle: s.listCustomerTickets},
		{method: "GET", path: "/tickets/{id}", handle: s.getCustomerTicket},
		{method: "GET", path: "/live", handle: s.customerLive, live: true},
	}
}

// customerMeView is GET /c/api/me: who is signed in and the shop they deal with.
type customerMeView struct {
	Customer  customerNameView `json:"customer"`
	Shop      customerShopView `json:"shop"`
	Mode      string           `json:"mode"` // "test" for the sandbox: the page says so
	ExpiresAt time.Time        `json:"expires_at"`
}

type customerNameView struct {
	ID   uint64 `json:"id"`
	Name string `json:"name"`
}

type customerShopView struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Phone   string `json:"phone"`
	Email   string `json:"email"`
	Hours   string `json:"hours"`
	// Currency is how the page writes money (USD).
	Currency string `json:"currency"`
	Timezone string `json:"timezone"`
}

func (s *Server) getCustomerMe(w http.ResponseWriter, r *http.Request, c *CustomerPrincipal) error {
	me, err := s.customerMe(c)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, me)
}

func (s *Server) customerMe(c *CustomerPrincipal) (customerMeView, error) {
	shop, err := c.Store.Shop()
	if err != nil {
		return customerMeView{}, err
	}
	return customerMeView{
		Customer: customerNameView{ID: c.CustomerID, Name: c.Name},
		Shop: customerShopView{Name: shop.Name, Address: shop.Address, Phone: shop.Phone, Email: shop.Email,
			Hours: shop.Hours, Currency: shop.Currency, Timezone: shop.Timezone},
		Mode: c.Mode, ExpiresAt: c.expires,
	}, nil
}

// customerTicketView is one repair as its customer sees it.
type customerTicketView struct {
	ID     uint64              `json:"id"`
	Number uint64              `json:"number"`
	Device customerDeviceView  `json:"device"`
	Issue  string              `json:"issue"`
	Status string              `json:"status"`      // the shop's name for it
	Words  string              `json:"status_text"` // the same in plain words
	Closed bool                `json:"closed"`
	Step   customerProgress    `json:"progress"`
	Ready  *time.Time          `json:"estimated_ready_at"` // the ticket's due_at
	Lines  []customerLineView  `json:"line_items,omitempty"`
	Totals *store.Totals       `json:"totals,omitempty"` // with line items only
	Events []customerEventView `json:"timeline,omitempty"`
	Opened time.Time           `json:"created_at"`
	Update time.Time           `json:"updated_at"`
}

type customerDeviceView struct {
	Brand string `json:"brand"`
	Model string `json:"model"`
}

// customerProgress is where the repair is on the shop's workflow: step of
// steps, the open statuses in order and then "Done".
type customerProgress struct {
	Step  int      `json:"step"`
	Steps []string `json:"steps"`
}

type customerLineView struct {
	Description string         `json:"description"`
	Quantity    store.Quantity `json:"quantity"`
	UnitPrice   store.Money    `json:"unit_price"`
	Total       store.Money    `json:"total"`
}

// customerEventView is one entry of the public timeline.
type customerEventView struct {
	At   time.Time `json:"at"`
	Kind string    `json:"kind"` // created | status | note
	Text string    `json:"text"`
	By   string    `json:"by"` // a staff member's first name, or "The shop"
}

// plainStatus says the default workflow's statuses in a customer's words;
// a status the shop made up is shown as the shop wrote it.
var plainStatus = map[string]string{
	"New":                 "We have your device and will look at it soon",
	"In Progress":         "We are working on your repair",
	"Waiting for Parts":   "We are waiting for a part to arrive",
	"Waiting on Customer": "We need to hear from you: please get in touch",
	"Ready for Pickup":    "Your device is ready to pick up",
	"Resolved":            "Your repair is done",
	"Closed":              "Your repair is done",
}

func statusWords(status string) string {
	if w, ok := plainStatus[status]; ok {
		return w
	}
	return status
}

func (s *Server) listCustomerTickets(w http.ResponseWriter, r *http.Request, c *CustomerPrincipal) error {
	statuses, err := c.Store.Statuses()
	if err != nil {
		return err
	}
	out := []customerTicketView{}
	for page := 1; ; page++ {
		p, err := c.Store.CustomerTickets(c.CustomerID, store.ListQuery{Sort: "updated_at", Desc: true, Page: page, PerPage: 100})
		if err != nil {
			return err
		}
		for _, raw := range p.Items {
			var t store.Ticket
			if err := json.Unmarshal(raw, &t); err != nil {
				return err
			}
			out = append(out, ticketSummary(t, statuses))
		}
		if !p.HasMore || page >= 10 { // a customer with 1000 repairs sees the latest
			break
		}
	}
	return ok(w, http.StatusOK, out)
}

func (s *Server) getCustomerTicket(w http.ResponseWriter, r *http.Request, c *CustomerPrincipal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return errCustomerNotFound
	}
	view, err := customerTicket(c, id)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, view)
}

// ownTicket reads a ticket of the customer's; anyone else's is a 404.
func ownTicket(c *CustomerPrincipal, id uint64) (store.Ticket, error) {
	var t store.Ticket
	raw, err := c.Store.Ticket(id)
	if err != nil {
		if isNotFound(err) {
			return t, errCustomerNotFound
		}
		return t, err
	}
	if err := json.Unmarshal(raw, &t); err != nil {
		return t, err
	}
	if t.CustomerID != c.CustomerID {
		return store.Ticket{}, errCustomerNotFound
	}
	return t, nil
}

// customerTicket is the whole view of one of the customer's tickets.
func customerTicket(c *CustomerPrincipal, id uint64) (customerTicketView, error) {
	t, err := ownTicket(c, id)
	if err != nil {
		return customerTicketView{}, err
	}
	statuses, err := c.Store.Statuses()
	if err != nil {
		return customerTicketView{}, err
	}
	view := ticketSummary(t, statuses)
	if view.Lines, err = customerLines(c.Store, t.ID); err != nil {
		return customerTicketView{}, err
	}
	if len(view.Lines) > 0 {
		totals := t.Totals
		view.Totals = &totals
	}
	if view.Events, err = publicTimeline(c.Store, t.ID); err != nil {
		return customerTicketView{}, err
	}
	return view, nil
}

func ticketSummary(t store.Ticket, statuses []store.Status) customerTicketView {
	v := customerTicketView{ID: t.ID, Number: t.Number, Device: customerDeviceView{Brand: t.Device.Brand, Model: t.Device.Model},
		Issue: t.Issue, Status: t.Status, Words: statusWords(t.Status), Closed: t.ClosedAt != nil,
		Ready: t.DueAt, Opened: t.CreatedAt, Update: t.UpdatedAt}
	v.Step = progressOf(t, statuses)
	return v
}

// progressOf places the ticket on the open statuses, then "Done".
func progressOf(t store.Ticket, statuses []store.Status) customerProgress {
	p := customerProgress{Steps: []string{}}
	for _, st := range statuses {
		if !st.Closed {
			p.Steps = append(p.Steps, st.Name)
		}
	}
	p.Steps = append(p.Steps, "Done")
	if t.ClosedAt != nil {
		p.Step = len(p.Steps)
	} else if i := slices.Index(p.Steps, t.Status); i >= 0 {
		p.Step = i + 1
	} else {
		p.Step = 1
	}
	return p
}

// customerLines lists the ticket's lines: what the customer is charged for,
// never a catalog id, a cost or a stock location.
func customerLines(st *store.Store, ticketID uint64) ([]customerLineView, error) {
	var out []customerLineView
	for page := 1; ; page++ {
		p, err := st.LineItems(ticketID, page, 100)
		if err != nil {
			return nil, err
		}
		for _, raw := range p.Items {
			var li store.LineItem
			if err := json.Unmarshal(raw, &li); err != nil {
				return nil, err
			}
			out = append(out, customerLineView{Description: li.Description, Quantity: li.Quantity, UnitPrice: li.UnitPrice, Total: li.Total})
		}
		if !p.HasMore {
			return out, nil
		}
	}
}

// publicTimeline is the ticket's story as its customer may read it: when it
// came in, each change of status, and the notes not marked internal, with
// staff by first name only, in the order they happened. Notes are read from
// the notes themselves (their internal flag as it is now), never from the
// event's copy.
func publicTimeline(st *store.Store, ticketID uint64) ([]customerEventView, error) {
	notes := map[uint64]store.Note{}
	for page := 1; ; page++ {
		p, err := st.Notes(ticketID, page, 200)
		if err != nil {
			return nil, err
		}
		for _, raw := range p.Items {
			var n store.Note
			if err := json.Unmarshal(raw, &n); err != nil {
				return nil, err
			}
			if !n.Internal {
				notes[n.ID] = n
			}
		}
		if !p.HasMore {
			break
		}
	}
	out := []customerEventView{}
	wanted := func(name string) bool {
		return name == "ticket.created" || name == "ticket.status_changed" || name == "ticket.note_added"
	}
	for page := 1; ; page++ {
		p, err := st.TicketEvents(ticketID, page, 200, wanted)
		if err != nil {
			return nil, err
		}
		for _, raw := range p.Items {
			var ev struct {
				Event     string       `json:"event"`
				Timestamp time.Time    `json:"timestamp"`
				Actor     *store.Actor `json:"actor"`
				Data      struct {
					NoteID  uint64 `json:"note_id"`
					Changes struct {
						Status struct {
							To string `json:"to"`
						} `json:"status"`
					} `json:"changes"`
				} `json:"data"`
			}
			if err := json.Unmarshal(raw, &ev); err != nil {
				return nil, err
			}
			e := customerEventView{At: ev.Timestamp, By: actorFirstName(ev.Actor)}
			switch ev.Event {
			case "ticket.created":
				e.Kind, e.Text = "created", "We received your device"
			case "ticket.status_changed":
				e.Kind, e.Text = "status", statusWords(ev.Data.Changes.Status.To)
			default:
				n, ok := notes[ev.Data.NoteID]
				if !ok {
					continue // internal, or deleted
				}
				e.Kind, e.Text, e.At, e.By = "note", n.Body, n.CreatedAt, authorFirstName(n.Author)
			}
			out = append(out, e)
		}
		if !p.HasMore {
			return out, nil
		}
	}
}

// theShop stands for whoever is not a named staff member: a key, a plugin,
// the appliance.
const theShop = "The shop"

func actorFirstName(a *store.Actor) string {
	if a == nil || a.Type != store.ActorUser {
		return theShop
	}
	if f := kioskFirstName(a.Name); f != "" {
		return f
	}
	return theShop
}

// authorFirstName reads a note's author as the store keeps it: a staff
// member's name, or a key's name followed by " (API key)".
func authorFirstName(author string) string {
	if author == "" || strings.HasSuffix(author, "(API key)") {
		return theShop
	}
	return kioskFirstName(author)
}
