package api

import (
	"net/http"

	"portal/store"
)

func (s *Server) keyRoutes() []route {
	return []route{
		{method: "GET", path: "/keys", scope: readScope("keys"), handle: s.listKeys, summary: "List API keys (never their secrets)", out: []store.APIKey{}, list: &listSpec{}, liveOnly: true},
		{method: "POST", path: "/keys", scope: writeScope("keys"), handle: s.createKey, summary: "Create an API key; the key is shown in this response only", in: store.KeyInput{}, out: store.NewKey{}, status: http.StatusCreated, liveOnly: true},
		{method: "DELETE", path: "/keys/{id}", scope: writeScope("keys"), handle: s.revokeKey, summary: "Revoke an API key; its next request is refused", out: store.APIKey{}, liveOnly: true},
	}
}

// listKeys lists the keys the caller may manage: none stronger than itself.
func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, p *Principal) error {
	keys, err := s.cfg.Live.Keys()
	if err != nil {
		return err
	}
	visible := []store.APIKey{}
	for _, k := range keys {
		if p.mayManage(k) {
			visible = append(visible, k)
		}
	}
	return okSlice(w, r, visible)
}

// mayManage: a key is no stronger than the one managing it — every scope
// and the tier within the caller's.
func (p *Principal) mayManage(k store.APIKey) bool {
	return store.TierRank(k.Tier) <= store.TierRank(p.Tier) && p.covers(k.Scopes)
}

// createKey mints a key no stronger than the caller: its scopes must be a
// subset of the caller's, so keys.write cannot be used to escalate. Names
// are checked exactly first, so what is granted is what was checked.
func (s *Server) createKey(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in store.KeyInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := store.CheckScopes(in.Scopes); err != nil {
		return err
	}
	if in.Tier != "" && store.TierRank(in.Tier) == 0 {
		return validation("tier", "must be one of "+store.TierNames+" (exactly)")
	}
	if in.Type == store.KeyUser && in.UserID == 0 {
		in.UserID = p.UserID
	}
	wanted := in.Scopes
	switch {
	case in.Type == store.KeyInternal:
		wanted = store.AllScopes()
	case in.Type == store.KeyUser && len(in.Scopes) == 0:
		wanted = s.roleScopes(in.UserID) // the store defaults a user key to its member's role
	}
	for _, sc := range wanted {
		if !p.Can(sc) {
			return validation("scopes", "you cannot grant "+sc+", which you do not hold")
		}
	}
	tier := in.Tier
	if tier == "" {
		tier = store.DefaultTier(in.Type)
	}
	if store.TierRank(tier) > store.TierRank(p.Tier) {
		return validation("tier", "you cannot grant the "+tier+" tier, above your own ("+p.Tier+")")
	}
	k, err := s.cfg.Live.CreateKey(r.Context(), in, s.cfg.Sealer)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, k)
}

// roleScopes is what a user key for staff member id (0: the owner) gets when
// it names no scopes; nil when there is no such member (the store refuses it).
func (s *Server) roleScopes(id uint64) []string {
	var u store.User
	var err error
	if id == 0 {
		u, _, err = s.cfg.Live.Owner()
	} else {
		u, err = s.cfg.Live.UserByID(id)
	}
	if err != nil {
		return nil
	}
	return store.RoleScopes(u.Role)
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	keys, err := s.cfg.Live.Keys()
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.ID == id && !p.mayManage(k) {
			return &store.NotFoundError{What: "key"}
		}
	}
	k, err := s.cfg.Live.RevokeKey(r.Context(), id)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, k)
}
