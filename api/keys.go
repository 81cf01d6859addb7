package api

import (
	"net/http"

	"portal/store"
)

func (s *Server) keyRoutes() []route {
	return []route{
		{method: "GET", path: "/keys", scope: readScope("keys"), handle: s.listKeys, summary: "List API keys (never their secrets)", out: []store.APIKey{}},
		{method: "POST", path: "/keys", scope: writeScope("keys"), handle: s.createKey, summary: "Create an API key; the key is shown in this response only", in: store.KeyInput{}, out: store.NewKey{}, status: http.StatusCreated},
		{method: "DELETE", path: "/keys/{id}", scope: writeScope("keys"), handle: s.revokeKey, summary: "Revoke an API key; its next request is refused", out: store.APIKey{}},
	}
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, p *Principal) error {
	keys, err := s.cfg.Live.Keys()
	if err != nil {
		return err
	}
	if keys == nil {
		keys = []store.APIKey{}
	}
	return ok(w, http.StatusOK, keys)
}

// createKey mints a key no stronger than the caller: its scopes must be a
// subset of the caller's, so keys.write cannot be used to escalate.
func (s *Server) createKey(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in store.KeyInput
	if err := decode(r, &in); err != nil {
		return err
	}
	wanted := in.Scopes
	if in.Type == store.KeyInternal {
		wanted = store.AllScopes()
	}
	for _, sc := range wanted {
		if store.ValidScope(sc) && !p.Can(sc) {
			return validation("scopes", "you cannot grant "+sc+", which you do not hold")
		}
	}
	if in.Type == store.KeyUser && in.UserID == 0 {
		in.UserID = p.UserID
	}
	k, err := s.cfg.Live.CreateKey(r.Context(), in, s.cfg.Sealer)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, k)
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	k, err := s.cfg.Live.RevokeKey(r.Context(), id)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, k)
}
