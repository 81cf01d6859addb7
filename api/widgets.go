package api

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"portal/store"
)

// Widgets: a plugin's iframes in the console (ui/lib/widgets.js).
//
// A widget token (wt_…) tells a plugin's server who is looking at its widget
// and at what: the console asks for one per render, the iframe's URL carries
// it, and the plugin exchanges it once, with its own key, for the context.
// Tokens live in memory, hashed (a restart only makes open widgets ask
// again), single use, five minutes.
//
// The bridge's reads and actions (GET /widgets/data, POST /widgets/actions)
// run on the server as the plugin, bounded by BOTH the plugin's granted
// scopes and the signed-in staff member's: a widget can never do more than
// either of them could alone.

const (
	widgetTokenPrefix = "wt_"
	widgetTokenTTL    = 5 * time.Minute
	// widgetActionsPerMinute caps a plugin's actions for one staff member.
	widgetActionsPerMinute = 10
)

// WidgetLocations are the console's places for widgets and their maximum
// heights in pixels (settings_panel is unlimited in the manifest; the
// console caps it at 800).
var WidgetLocations = map[string]int{
	"ticket_sidebar": 300, "ticket_toolbar": 40, "customer_sidebar": 300,
	"dashboard_card": 400, "settings_panel": 800, "queue_banner": 80,
}

// widgetResource is the kind of record a location shows ("" for none).
func widgetResource(location string) string {
	switch location {
	case "ticket_sidebar", "ticket_toolbar":
		return "ticket"
	case "customer_sidebar":
		return "customer"
	}
	return ""
}

// WidgetPlugin is what the widget routes need of an installed plugin.
type WidgetPlugin struct {
	ID, Name string
	KeyID    uint64   // the plugin's own key: only it may verify the plugin's tokens
	Scopes   []string // granted
	Widgets  []WidgetSpec
}

// WidgetSpec is one widget a plugin's manifest declares.
type WidgetSpec struct {
	ID       string `json:"id"`
	Location string `json:"location"`
	URL      string `json:"url"`
	Height   int    `json:"height"`
}

// WidgetPluginSource lists a store's installed plugins (a handful).
type WidgetPluginSource func(st *store.Store) []WidgetPlugin

// SetWidgetPlugins sets where the widget routes find installed plugins
// (the store's, unless a test says otherwise).
func (s *Server) SetWidgetPlugins(src WidgetPluginSource) { s.widgets.setSource(src) }

type widgetGrant struct {
	PluginID, Location, ResourceType string
	ResourceID                       uint64
	UserID                           uint64
	UserFirst                        string
	Mode                             store.Mode
	Expires                          time.Time
}

type widgetState struct {
	now     func() time.Time
	mu      sync.Mutex
	source  WidgetPluginSource
	tokens  map[[32]byte]widgetGrant
	actions map[string]*window // "plugin\x00user" → this minute's actions
}

func newWidgetState(now func() time.Time) *widgetState {
	return &widgetState{now: now, source: installedPlugins, tokens: map[[32]byte]widgetGrant{}, actions: map[string]*window{}}
}

// installedPlugins is the store's installed plugins, as the widget routes see them.
func installedPlugins(st *store.Store) []WidgetPlugin {
	list, err := st.ListPlugins()
	if err != nil {
		return nil
	}
	out := make([]WidgetPlugin, 0, len(list))
	for _, pl := range list {
		wp := WidgetPlugin{ID: pl.ID, Name: pl.Name, KeyID: pl.KeyID, Scopes: pl.Scopes}
		for _, w := range pl.Manifest.Widgets {
			wp.Widgets = append(wp.Widgets, WidgetSpec{ID: w.ID, Location: w.Location, URL: w.URL, Height: w.Height})
		}
		out = append(out, wp)
	}
	return out
}

func (ws *widgetState) setSource(src WidgetPluginSource) {
	ws.mu.Lock()
	ws.source = src
	ws.mu.Unlock()
}

func (ws *widgetState) plugin(st *store.Store, id string) (WidgetPlugin, bool) {
	ws.mu.Lock()
	src := ws.source
	ws.mu.Unlock()
	if src == nil || id == "" {
		return WidgetPlugin{}, false
	}
	for _, pl := range src(st) {
		if pl.ID == id {
			return pl, true
		}
	}
	return WidgetPlugin{}, false
}

// installedWidgetPlugins lists st's installed plugins.
func (s *Server) installedWidgetPlugins(st *store.Store) []WidgetPlugin {
	s.widgets.mu.Lock()
	src := s.widgets.source
	s.widgets.mu.Unlock()
	if src == nil {
		return nil
	}
	return src(st)
}

// issue stores a grant under a new token's hash and answers the token.
func (ws *widgetState) issue(g widgetGrant) (string, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	token := widgetTokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	now := ws.now()
	g.Expires = now.Add(widgetTokenTTL)
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for h, old := range ws.tokens { // bounded by the tokens of the last five minutes
		if !now.Before(old.Expires) {
			delete(ws.tokens, h)
		}
	}
	ws.tokens[sha256.Sum256([]byte(token))] = g
	return token, nil
}

// redeem answers the grant of token once, to the plugin it was made for. A
// token another plugin presents stays unused (it cannot burn it for its owner).
func (ws *widgetState) redeem(token string, ok func(widgetGrant) bool) (widgetGrant, bool) {
	if !strings.HasPrefix(token, widgetTokenPrefix) {
		return widgetGrant{}, false
	}
	h := sha256.Sum256([]byte(token)) // a map lookup by hash: the token itself is never compared
	ws.mu.Lock()
	g, found := ws.tokens[h]
	if found && !ws.now().Before(g.Expires) {
		delete(ws.tokens, h)
		found = false
	}
	ws.mu.Unlock()
	if !found || !ok(g) { // ok looks the plugin up: not under ws.mu
		return widgetGrant{}, false
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if _, still := ws.tokens[h]; !still { // a racing redemption won
		return widgetGrant{}, false
	}
	delete(ws.tokens, h)
	return g, true
}

// allowAction charges one action to plugin and user in this minute.
func (ws *widgetState) allowAction(plugin string, user uint64) bool {
	minute := ws.now().Unix() / 60
	k := plugin + "\x00" + strconv.FormatUint(user, 10)
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for key, w := range ws.actions {
		if w.start != minute {
			delete(ws.actions, key)
		}
	}
	w := ws.actions[k]
	if w == nil {
		w = &window{start: minute}
		ws.actions[k] = w
	}
	if w.used >= widgetActionsPerMinute {
		return false
	}
	w.used++
	return true
}

// errWidgetToken is the one answer for an unknown, used, expired or another
// plugin's token, so a refusal tells nothing about which.
var errWidgetToken = newError(http.StatusUnauthorized, "INVALID_WIDGET_TOKEN", "Unknown, used or expired widget token")

var (
	errStaffOnly     = newError(http.StatusForbidden, "FORBIDDEN", "Widgets are for staff: a console session or a user key")
	errPluginKeyOnly = newError(http.StatusForbidden, "FORBIDDEN", "Only a plugin's own key may verify its widget tokens")
)

var errNoWidget = newError(http.StatusNotFound, "NOT_FOUND", "No installed plugin has a widget there")

// WidgetTokenInput asks for a widget token.
type WidgetTokenInput struct {
	PluginID   string `json:"plugin_id"`
	Location   string `json:"location"`
	ResourceID uint64 `json:"resource_id"`
}

// WidgetToken is a new widget token.
type WidgetToken struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	URL       string    `json:"url"`    // the widget's page, to load with ?token=
	Height    int       `json:"height"` // the manifest's height clamped to the place's maximum
	Name      string    `json:"plugin_name"`
}

// WidgetContext is what a plugin learns from its widget token.
type WidgetContext struct {
	PluginID     string     `json:"plugin_id"`
	Location     string     `json:"location"`
	User         WidgetUser `json:"user"`
	ResourceType string     `json:"resource_type,omitempty"`
	ResourceID   uint64     `json:"resource_id,omitempty"`
}

// WidgetUser is the staff member looking at a widget: an id and a first name, nothing more.
type WidgetUser struct {
	ID        uint64 `json:"id"`
	FirstName string `json:"first_name"`
}

// VerifyTokenInput is a plugin's token exchange.
type VerifyTokenInput struct {
	Token string `json:"token"`
}

// WidgetActionInput is a bridge action.
type WidgetActionInput struct {
	PluginID   string          `json:"plugin_id"`
	Location   string          `json:"location"`
	ResourceID uint64          `json:"resource_id"`
	Action     string          `json:"action"`
	Data       json.RawMessage `json:"data"`
}

// WidgetData is the bridge's portal:response: the record, less what the
// plugin's and the staff member's scopes do not both reach.
type WidgetData struct {
	Resource string         `json:"resource"`
	Data     map[string]any `json:"data"`
}

// WidgetSummary is one widget the console renders in a place.
type WidgetSummary struct {
	PluginID   string `json:"plugin_id"`
	PluginName string `json:"plugin_name"`
	WidgetSpec
}

func (s *Server) widgetRoutes() []route {
	return []route{
		{method: "GET", path: "/widgets", staff: true, handle: s.listWidgets, out: []WidgetSummary{}, query: []string{"location"},
			summary: "The installed plugins' widgets for a place in the console (staff sessions and user keys)"},
		{method: "POST", path: "/widgets/token", staff: true, handle: s.widgetToken, in: WidgetTokenInput{}, out: WidgetToken{}, status: http.StatusCreated,
			summary: "A single-use, five-minute wt_ token for a widget being rendered (staff sessions and user keys)"},
		{method: "POST", path: "/widgets/verify-token", pluginKey: true, handle: s.verifyWidgetToken, in: VerifyTokenInput{}, out: WidgetContext{},
			summary: "A plugin's own key exchanges its widget token, once, for the context"},
		{method: "GET", path: "/widgets/data", staff: true, handle: s.widgetData, out: WidgetData{}, query: []string{"plugin_id", "location", "resource_id"},
			summary: "The bridge's portal:request: the widget's ticket or customer, as far as both the plugin's and the staff member's scopes reach"},
		{method: "POST", path: "/widgets/actions", staff: true, handle: s.widgetAction, in: WidgetActionInput{}, out: json.RawMessage{}, status: http.StatusCreated,
			summary: "The bridge's portal:action (add_note, set_status) done as the plugin, bounded by its scopes and the staff member's; 10 a minute"},
	}
}

// widgetFor finds the plugin and its widget at location, answering one
// not-found for an unknown plugin, location or widget.
func (s *Server) widgetFor(p *Principal, pluginID, location string) (WidgetPlugin, WidgetSpec, error) {
	if _, ok := WidgetLocations[location]; !ok {
		return WidgetPlugin{}, WidgetSpec{}, validation("location", "is one of ticket_sidebar, ticket_toolbar, customer_sidebar, dashboard_card, settings_panel, queue_banner")
	}
	pl, ok := s.widgets.plugin(p.Store, pluginID)
	if !ok {
		return WidgetPlugin{}, WidgetSpec{}, errNoWidget
	}
	for _, w := range pl.Widgets {
		if w.Location == location {
			return pl, w, nil
		}
	}
	return WidgetPlugin{}, WidgetSpec{}, errNoWidget
}

// both is the scopes the plugin and the staff member both hold.
func both(pl WidgetPlugin, p *Principal) []string {
	var out []string
	for _, sc := range pl.Scopes {
		if p.Can(sc) {
			out = append(out, sc)
		}
	}
	return out
}

// checkResource makes sure the record the widget is shown with exists and
// the staff member may read it.
func checkResource(p *Principal, location string, id uint64) (string, error) {
	kind := widgetResource(location)
	switch kind {
	case "":
		if id != 0 {
			return "", validation("resource_id", "is left out at "+location+", which shows no record")
		}
		return "", nil
	case "ticket":
		if !p.Can("tickets.read") {
			return "", forbidden("tickets.read")
		}
		if id == 0 {
			return "", validation("resource_id", "is the ticket's id")
		}
		_, err := p.Store.Ticket(id)
		return kind, err
	default:
		if !p.Can("customers.read") {
			return "", forbidden("customers.read")
		}
		if id == 0 {
			return "", validation("resource_id", "is the customer's id")
		}
		_, err := p.Store.Customer(id)
		return kind, err
	}
}

func clampHeight(location string, h int) int {
	max := WidgetLocations[location]
	if h <= 0 || h > max {
		return max
	}
	return h
}

func (s *Server) listWidgets(w http.ResponseWriter, r *http.Request, p *Principal) error {
	location := r.URL.Query().Get("location")
	if _, ok := WidgetLocations[location]; !ok {
		return validation("location", "is one of ticket_sidebar, ticket_toolbar, customer_sidebar, dashboard_card, settings_panel, queue_banner")
	}
	out := []WidgetSummary{}
	for _, pl := range s.installedWidgetPlugins(p.Store) {
		for _, wd := range pl.Widgets {
			if wd.Location == location {
				wd.Height = clampHeight(location, wd.Height)
				out = append(out, WidgetSummary{PluginID: pl.ID, PluginName: pl.Name, WidgetSpec: wd})
			}
		}
	}
	return ok(w, http.StatusOK, out)
}

func (s *Server) widgetToken(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in WidgetTokenInput
	if err := decode(r, &in); err != nil {
		return err
	}
	pl, wd, err := s.widgetFor(p, in.PluginID, in.Location)
	if err != nil {
		return err
	}
	kind, err := checkResource(p, in.Location, in.ResourceID)
	if err != nil {
		return err
	}
	first, _, _ := strings.Cut(strings.TrimSpace(p.Name), " ")
	token, err := s.widgets.issue(widgetGrant{PluginID: pl.ID, Location: in.Location, ResourceType: kind, ResourceID: in.ResourceID,
		UserID: p.UserID, UserFirst: first, Mode: p.Mode})
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, WidgetToken{Token: token, ExpiresAt: s.cfg.Now().Add(widgetTokenTTL).UTC(),
		URL: wd.URL, Height: clampHeight(in.Location, wd.Height), Name: pl.Name})
}

func (s *Server) verifyWidgetToken(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in VerifyTokenInput
	if err := decode(r, &in); err != nil {
		return err
	}
	in.Token = strings.TrimSpace(in.Token)
	if in.Token == "" {
		return validation("token", "is the wt_ token the widget's URL carried")
	}
	g, found := s.widgets.redeem(in.Token, func(g widgetGrant) bool {
		if g.Mode != p.Mode {
			return false
		}
		pl, ok := s.widgets.plugin(p.Store, g.PluginID)
		return ok && pl.KeyID != 0 && pl.KeyID == p.KeyID
	})
	if !found {
		return errWidgetToken
	}
	return ok(w, http.StatusOK, WidgetContext{PluginID: g.PluginID, Location: g.Location,
		User: WidgetUser{ID: g.UserID, FirstName: g.UserFirst}, ResourceType: g.ResourceType, ResourceID: g.ResourceID})
}

// needBoth refuses unless the plugin and the staff member both hold scope.
func needBoth(pl WidgetPlugin, p *Principal, scope string) error {
	if !slices.Contains(both(pl, p), scope) {
		return newError(http.StatusForbidden, "FORBIDDEN", "The plugin and you must both hold the "+scope+" scope")
	}
	return nil
}

// contactFields are a record's contact details, shown to a widget only
// with customers.read.
var contactFields = []string{"customer", "email", "phone", "address", "mobile"}

func (s *Server) widgetData(w http.ResponseWriter, r *http.Request, p *Principal) error {
	q := r.URL.Query()
	pl, _, err := s.widgetFor(p, q.Get("plugin_id"), q.Get("location"))
	if err != nil {
		return err
	}
	id, perr := strconv.ParseUint(q.Get("resource_id"), 10, 64)
	if perr != nil {
		return validation("resource_id", "is the record's id")
	}
	kind, err := checkResource(p, q.Get("location"), id)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	switch kind {
	case "ticket":
		if err := needBoth(pl, p, "tickets.read"); err != nil {
			return err
		}
		raw, err = p.Store.Ticket(id)
	case "customer":
		if err := needBoth(pl, p, "customers.read"); err != nil {
			return err
		}
		raw, err = p.Store.Customer(id)
	default:
		return validation("location", "shows no record")
	}
	if err != nil {
		return err
	}
	var rec map[string]any
	if err := json.Unmarshal(raw, &rec); err != nil {
		return err
	}
	if !slices.Contains(both(pl, p), "customers.read") {
		for _, f := range contactFields {
			delete(rec, f)
		}
	}
	return ok(w, http.StatusOK, WidgetData{Resource: kind, Data: rec})
}

func (s *Server) widgetAction(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in WidgetActionInput
	if err := decode(r, &in); err != nil {
		return err
	}
	pl, _, err := s.widgetFor(p, in.PluginID, in.Location)
	if err != nil {
		return err
	}
	kind, err := checkResource(p, in.Location, in.ResourceID)
	if err != nil {
		return err
	}
	if in.Action != "add_note" && in.Action != "set_status" {
		return validation("action", "is add_note or set_status")
	}
	if kind != "ticket" {
		return validation("location", "shows no ticket: "+in.Action+" works on a ticket's widget")
	}
	if err := needBoth(pl, p, "tickets.write"); err != nil {
		return err
	}
	if !s.widgets.allowAction(pl.ID, p.UserID) {
		w.Header().Set("Retry-After", strconv.FormatInt(60-s.cfg.Now().Unix()%60, 10))
		return newError(http.StatusTooManyRequests, "RATE_LIMITED", "This plugin has done "+strconv.Itoa(widgetActionsPerMinute)+" actions for you this minute")
	}
	ctx := store.WithActor(r.Context(), store.Plugin{ID: pl.ID, Name: pl.Name, KeyID: pl.KeyID}.PluginActor())
	var data struct {
		Text   *string `json:"text"`
		Status *string `json:"status"`
	}
	if len(in.Data) > 0 {
		if err := json.Unmarshal(in.Data, &data); err != nil {
			return validation("data", "is an object")
		}
	}
	if in.Action == "add_note" {
		if data.Text == nil {
			return validation("data.text", "is the note's text")
		}
		n, err := p.Store.AddNote(ctx, in.ResourceID, store.NoteInput{Body: *data.Text, Internal: true, Author: pl.Name})
		if err != nil {
			return err
		}
		return ok(w, http.StatusCreated, n)
	}
	if data.Status == nil {
		return validation("data.status", "is the ticket's new status")
	}
	t, err := p.Store.UpdateTicket(ctx, in.ResourceID, store.TicketPatch{Status: data.Status})
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, t)
}
