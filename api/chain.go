package api

// The chain of shops (issue 19): where the appliance mirrors its whole event
// log, a NATS JetStream server, and how far the mirror has come. Whoever
// sets the address receives every event of the shop, so only the owner may,
// in person (approval); reading the settings takes backup.read, the owner's
// own scope. Both routes are liveOnly: the settings live in live.db.

import (
	"net/http"

	"portal/chain"
	"portal/store"
)

func (s *Server) chainRoutes() []route {
	return []route{
		{method: http.MethodGet, path: "/appliance/chain", scope: store.BackupScope, handle: s.getChain, liveOnly: true,
			summary: "The chain of shops: the NATS JetStream server this appliance mirrors its event log to (no secret: the address's password or token as ***, creds as creds_set), whether the console or serve's flags set it, and the publisher's status and lag",
			out:     chainView{}},
		// Pointing the event stream somewhere hands over every event of the
		// shop: the owner's console session (or an internal key) only.
		{method: http.MethodPatch, path: "/appliance/chain", scope: writeScope("store"), also: []string{store.BackupScope}, handle: s.updateChain,
			liveOnly: true, ownerOnly: true, approval: true,
			summary: "Set the chain of shops (nats_url \"\" turns it off; creds: the .creds file's contents, write-only and sealed, \"\" removes them; a new server without new creds drops them). Applies at once, and an empty body tries the server again now; 409 when serve's --nats-url flags set it",
			in:      store.ChainSettingsPatch{}, out: chainView{}},
	}
}

// chainView is the answer of both routes.
type chainView struct {
	Settings store.ChainSettings `json:"settings"`
	// Source says who sets the chain: "console" (these routes) or "flags"
	// (serve's --nats-url and friends; the settings are then read-only).
	Source string       `json:"source"`
	Status chain.Status `json:"status"`
}

// ChainConfig is the chain in effect: serve's flags when given (with the
// appliance's own shop id when they name none), else the settings saved
// through the console, secrets opened.
func (s *Server) ChainConfig() (chain.Config, error) {
	if f := s.cfg.ChainFlags; f != nil {
		c := *f
		if c.Shop == "" {
			c.Shop = store.ChainDefaultShop(s.cfg.Sealer)
		}
		return c, nil
	}
	conn, err := s.cfg.Live.ChainConnection(s.cfg.Sealer)
	if err != nil {
		return chain.Config{}, err
	}
	return chainConfig(conn), nil
}

// ApplyChain hands the publisher the chain in effect. Serve calls it once,
// before it serves, so no console change can land before it and be undone.
func (s *Server) ApplyChain() error {
	s.chainMu.Lock()
	defer s.chainMu.Unlock()
	return s.applyChain()
}

// applyChain is ApplyChain with s.chainMu held.
func (s *Server) applyChain() error {
	if s.cfg.Chain == nil {
		return nil
	}
	c, err := s.ChainConfig()
	if err != nil {
		return err
	}
	s.cfg.Chain.Configure(c)
	return nil
}

func chainConfig(c store.ChainConnection) chain.Config {
	return chain.Config{URL: c.URL, Creds: c.Creds, Stream: c.Stream, Shop: c.Shop, IncludeTest: c.IncludeTest}
}

func (s *Server) chainView() (chainView, error) {
	v := chainView{Source: "console", Status: chain.Status{State: chain.StateOff, Stores: []chain.StoreStatus{}}}
	if s.cfg.Chain != nil {
		v.Status = s.cfg.Chain.Status()
	}
	if f := s.cfg.ChainFlags; f != nil {
		c, _ := s.ChainConfig()
		v.Source = "flags"
		v.Settings = store.ChainSettings{NATSURL: chain.RedactURL(c.URL), CredsSet: c.CredsFile != "" || c.Creds != "",
			Stream: c.Stream, Shop: c.Shop, ShopDefault: f.Shop == "", IncludeTest: c.IncludeTest}
		if v.Settings.Stream == "" {
			v.Settings.Stream = chain.DefaultStream
		}
		return v, nil
	}
	var err error
	v.Settings, err = s.cfg.Live.ChainSettings(s.cfg.Sealer)
	return v, err
}

func (s *Server) getChain(w http.ResponseWriter, r *http.Request, p *Principal) error {
	v, err := s.chainView()
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, v)
}

func (s *Server) updateChain(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var patch store.ChainSettingsPatch
	if err := decode(r, &patch); err != nil {
		return err
	}
	if s.cfg.ChainFlags != nil {
		return store.Conflict("serve's --nats-url flags set the chain of shops: change them there, or start without them to set it here")
	}
	// One change at a time from saving to the publisher, so the publisher
	// ends with the settings saved last.
	s.chainMu.Lock()
	defer s.chainMu.Unlock()
	if _, err := s.cfg.Live.UpdateChainSettings(r.Context(), patch, s.cfg.Sealer, func(c store.ChainConnection) error {
		return chainConfig(c).Validate()
	}); err != nil {
		return err
	}
	if err := s.applyChain(); err != nil {
		return err
	}
	v, err := s.chainView()
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, v)
}
