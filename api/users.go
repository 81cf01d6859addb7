package api

import (
	"net/http"

	"portal/store"
)

func (s *Server) userRoutes() []route {
	return []route{
		{method: "GET", path: "/users", scope: readScope("users"), handle: s.listUsers(false), summary: "List staff", out: []store.User{}, list: &listSpec{}},
		{method: "GET", path: "/users/active", scope: readScope("users"), handle: s.listUsers(true), summary: "List active staff", out: []store.User{}, list: &listSpec{}},
		{method: "POST", path: "/users", scope: writeScope("users"), handle: s.inviteUser, summary: "Invite a staff member; the answer holds their one-time link (valid 7 days)", in: store.InviteInput{}, out: invitation{}, status: http.StatusCreated},
		{method: "PATCH", path: "/users/{id}", scope: writeScope("users"), handle: s.updateUser, summary: "Change a staff member's name, role, access, host flag (visitors may name them) or phone (the shop keeps an active owner)", in: store.UserPatch{}, out: store.User{}},
	}
}

// invitation is a new staff member and the link that lets them in.
type invitation struct {
	User        store.User `json:"user"`
	InviteToken string     `json:"invite_token"`
	InvitePath  string     `json:"invite_path"` // open on this appliance: /invite#token=…
}

// mayAssign: a role is no stronger than whoever gives it, as with keys.
func (p *Principal) mayAssign(role string) error {
	for _, sc := range store.RoleScopes(role) {
		if !p.Can(sc) {
			return validation("role", "you cannot give the "+role+" role, which holds "+sc+" that you do not")
		}
	}
	return nil
}

func (s *Server) inviteUser(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in store.InviteInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := p.mayAssign(in.Role); err != nil {
		return err
	}
	u, token, err := p.Store.InviteUser(r.Context(), in)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, invitation{User: u, InviteToken: token, InvitePath: "/invite#token=" + token})
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var patch store.UserPatch
	if err := decode(r, &patch); err != nil {
		return err
	}
	current, err := p.Store.UserByID(id)
	if err != nil {
		return err
	}
	if err := p.mayAssign(current.Role); err != nil {
		return newError(http.StatusForbidden, "FORBIDDEN", "This staff member's role holds scopes you do not")
	}
	if patch.Role != nil {
		if err := p.mayAssign(*patch.Role); err != nil {
			return err
		}
	}
	u, err := p.Store.UpdateUser(r.Context(), id, patch)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, u)
}

// listUsers reads the staff of the principal's own store: the live shop's
// people, or in test mode the test store's own (the sandbox's demo staff),
// so a test key never learns who works in the live shop.
func (s *Server) listUsers(activeOnly bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *Principal) error {
		users, err := p.Store.Users(activeOnly)
		if err != nil {
			return err
		}
		return okSlice(w, r, users)
	}
}
