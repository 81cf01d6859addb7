package api

import (
	"net/http"

	"portal/store"
)

func (s *Server) userRoutes() []route {
	return []route{
		{method: "GET", path: "/users", scope: readScope("users"), handle: s.listUsers(false), summary: "List staff", out: []store.User{}, list: &listSpec{}},
		{method: "GET", path: "/users/active", scope: readScope("users"), handle: s.listUsers(true), summary: "List active staff", out: []store.User{}, list: &listSpec{}},
	}
}

// listUsers reads staff from the live store: they are system records, the
// same people whichever store a key sees.
func (s *Server) listUsers(activeOnly bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *Principal) error {
		users, err := s.cfg.Live.Users(activeOnly)
		if err != nil {
			return err
		}
		return okSlice(w, r, users)
	}
}
