package api

import (
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/gorilla/mux"
)

// handlerFunc is a route's handler; guard has already authenticated p and
// checked the route's scope, and p.Store is the only data store it may use.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p *Principal) error

// route is one row of the route table: the single source for the router, the
// scope check, the scope test and the OpenAPI document.
type route struct {
	method, path string
	scope        string
	// also are further scopes the route needs: the owner's read scope on
	// an attachment route (files.read AND tickets.read), or everything a
	// customer's page reaches on the routes that make its links.
	also    []string
	handle  handlerFunc
	summary string
	in      any       // request body type, for the document
	out     any       // response data type, for the document
	list    *listSpec // set on list routes
	status  int       // success status; 200 when zero
	file    string    // a download's content type: the body is the file, not an envelope
	// liveOnly routes reach system records of live.db that have no test
	// counterpart (API keys, backups): test-mode principals are refused.
	liveOnly bool
	// ownerOnly routes also need the owner's full power: an owner's session
	// or user key, or an internal key (never a plugin or developer key).
	ownerOnly bool
	// approval routes are an approval only a person gives: the owner's
	// console session, or an internal key (never a user key, which a script
	// holds). They are ownerOnly too.
	approval bool
	// kiosk routes take a paired kiosk's cookie and nothing else (POST
	// /kiosk/pair: a pairing code); keys are refused (kiosk.go).
	kiosk bool
	// staff routes take a staff member's console session or user key and no
	// other key (widgets: a person is looking at them); pluginKey routes take
	// a plugin's key and nothing else (widgets.go).
	staff, pluginKey bool
	// upload is a request body's content type when it is not JSON (text/csv).
	upload string
	// query names the query parameters of a route that is not a list.
	query []string
	// export is the list a CSV export (GET <list>.csv) streams whole.
	export *listSpec
	// maxBody raises the body limit (maxBody, 1 MiB) for this route: CSV imports.
	maxBody int64
	// porter names the key of the answer in Porter's shape (porter.go);
	// the desk's routes get theirs from porterKey when they leave it out.
	porter string
}

// APIPrefix is where the versioned API lives.
const APIPrefix = "/api/v1"

func (s *Server) routes() []route {
	var all []route
	for _, group := range [][]route{
		s.pluginCatalogRoutes(), // before any /plugins/{id}
		s.customerRoutes(), s.ticketRoutes(), s.ticketPartRoutes(), s.shopRoutes(),
		s.userRoutes(), s.eventRoutes(), s.keyRoutes(), s.webhookRoutes(), s.liveRoutes(),
		s.backupRoutes(), s.locationRoutes(), s.visitorRoutes(),
		s.contractorRoutes(), s.evacuationRoutes(), s.kioskRoutes(),
		s.paymentRoutes(), s.importRoutes(), s.catalogRoutes(), s.inventoryRoutes(), s.supplierRoutes(), s.purchaseOrderRoutes(), s.deviceRoutes(),
		s.proposalRoutes(),
		s.attachmentRoutes(),
		s.portalLinkRoutes(), s.portalLinkQRRoutes(),
		s.paymentSettingsRoutes(),
		s.invoiceRoutes(),
		s.emailRoutes(),
		s.chainRoutes(),
		s.widgetRoutes(),
		s.pluginRoutes(),
	} {
		all = append(all, group...)
	}
	return append(all, s.exportRoutes(all)...)
}

func (s *Server) buildRouter() *mux.Router {
	r := mux.NewRouter()
	r.Use(s.observe, s.common)
	api := r.PathPrefix(APIPrefix).Subrouter()
	s.bodyLimits = map[string]int64{}
	for _, rt := range s.routes() {
		if rt.maxBody > 0 {
			s.bodyLimits[rt.method+" "+APIPrefix+rt.path] = rt.maxBody
		}
		if rt.kiosk {
			api.Handle(rt.path, s.kioskGuard(rt)).Methods(rt.method)
			continue
		}
		api.Handle(rt.path, s.guard(rt)).Methods(rt.method)
	}
	api.HandleFunc("/openapi.json", s.serveOpenAPI).Methods(http.MethodGet)
	api.HandleFunc("/plugin-manifest.schema.json", s.servePluginManifestSchema).Methods(http.MethodGet)
	// gorilla/mux reports a wrong method inside a path-prefix subrouter as
	// not found (a later route's prefix match clears the mismatch), so the
	// one handler tells the two apart from the router's own patterns.
	allowed := allowedMethods(api)
	unmatched := s.unmatched(s.common(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		methods := allowed(r.URL.Path)
		fail := fail
		if porterAsked(r) && porterPath(r.URL.Path) {
			fail = failPorter // a Porter client on a desk path reads {"error": …}
		}
		if len(methods) == 0 {
			fail(w, r, errRouteMissing)
			return
		}
		w.Header().Set("Allow", strings.Join(methods, ", "))
		fail(w, r, newError(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED",
			r.Method+" is not allowed here; this path takes "+strings.Join(methods, ", ")))
	})))
	api.NotFoundHandler, api.MethodNotAllowedHandler = unmatched, unmatched

	r.HandleFunc("/healthz", s.healthz).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/readyz", s.readyz).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(metricsPath, s.serveMetrics).Methods(http.MethodGet) // loopback, or an internal key
	s.bindSession(r)
	s.bindPortalio(r)
	s.bindFiles(r)
	s.bindCustomer(r)
	s.bindInbound(r)
	s.bindSandboxSite(r) // the sample plugin, serve --sandbox only
	s.bindOAuth(r)
	r.PathPrefix("/").Handler(s.uiHandler())
	return r
}

// allowedMethods answers, for a path that exists, the methods its routes
// take (405's Allow header), from the router's own patterns.
func allowedMethods(r *mux.Router) func(path string) []string {
	type pattern struct {
		re      *regexp.Regexp
		methods []string
	}
	var patterns []pattern
	r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		expr, err := route.GetPathRegexp()
		methods, merr := route.GetMethods()
		if err == nil && merr == nil {
			patterns = append(patterns, pattern{regexp.MustCompile(expr), methods})
		}
		return nil
	})
	return func(path string) []string {
		var out []string
		for _, p := range patterns {
			if p.re.MatchString(path) {
				for _, m := range p.methods {
					if !slices.Contains(out, m) {
						out = append(out, m)
					}
				}
			}
		}
		slices.Sort(out)
		return out
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "starting"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// Route is a public view of the route table, for tests and documentation.
type Route struct {
	Method, Path, Scope string
	Also                []string // further scopes it needs (the owner's, on attachment routes)
	LiveOnly            bool     // test-mode principals are refused
	OwnerOnly           bool     // only the owner's full power (or an internal key)
	Kiosk               bool     // a paired kiosk's cookie only, never a key or a session
	Staff               bool     // a staff member's session or user key only
	PluginKey           bool     // a plugin's key only
	Approval            bool     // the owner's session or an internal key only (installing plugins)
}

// Routes lists every guarded /api/v1 route with its scope.
func (s *Server) Routes() []Route {
	var out []Route
	for _, rt := range s.routes() {
		out = append(out, Route{rt.method, APIPrefix + rt.path, rt.scope, rt.also, rt.liveOnly, rt.ownerOnly, rt.kiosk, rt.staff, rt.pluginKey, rt.approval})
	}
	return out
}

// alsoRead is one further scope on a route: the read scope of resource.
func alsoRead(resource string) []string { return []string{readScope(resource)} }

// readScope and writeScope name a resource's scopes.
func readScope(resource string) string  { return resource + ".read" }
func writeScope(resource string) string { return resource + ".write" }

func tagOf(path string) string {
	p := strings.TrimPrefix(path, "/")
	if i := strings.IndexByte(p, '/'); i >= 0 {
		p = p[:i]
	}
	return p
}

// bodyLimit is the largest request body the matched route takes.
func (s *Server) bodyLimit(r *http.Request) int64 {
	if cr := mux.CurrentRoute(r); cr != nil && len(s.bodyLimits) > 0 {
		if tpl, err := cr.GetPathTemplate(); err == nil {
			if n, ok := s.bodyLimits[r.Method+" "+tpl]; ok {
				return n
			}
		}
	}
	return maxBody
}
