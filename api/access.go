package api

import (
	"fmt"
	"slices"
	"strings"

	"portal/store"
)

// AccessKind is one kind of principal as the access matrix shows it.
type AccessKind struct {
	Name string // the column's heading
	// Admits says whether this kind may use a route: it can hold the scope,
	// and it may reach the route's store.
	Admits func(rt Route) bool
}

// AccessKinds are the principals of API.md, in the matrix's column order.
// A plugin or developer key holds only the scopes granted to it, so their
// columns say "when granted"; a staff member's console session and their
// user keys hold their role's scopes.
func AccessKinds() []AccessKind {
	kinds := []AccessKind{
		{"internal key", func(rt Route) bool { return !rt.Kiosk }},
		{"plugin key (if granted)", func(rt Route) bool { return rt.Scope != store.BackupScope && !rt.OwnerOnly && !rt.Kiosk }},
		{"developer key, test (if granted)", func(rt Route) bool { return !rt.LiveOnly && !rt.OwnerOnly && !rt.Kiosk }},
	}
	for _, role := range store.Roles {
		kinds = append(kinds, AccessKind{role, func(rt Route) bool {
			switch {
			case rt.Kiosk:
				return false
			case rt.Approval:
				return false // a user key, even the owner's: the owner's session only
			case rt.OwnerOnly:
				return role == "owner"
			}
			has := store.RoleScopes(role)
			return (rt.Scope == "" || slices.Contains(has, rt.Scope)) &&
				!slices.ContainsFunc(rt.Also, func(sc string) bool { return !slices.Contains(has, sc) })
		}})
	}
	// A kiosk's cookie opens the kiosk routes and nothing else; no key or
	// staff session opens them.
	kinds = append(kinds, AccessKind{"paired kiosk", func(rt Route) bool { return rt.Kiosk }})
	return kinds
}

// AccessMatrix is every /api/v1 route with the principals it admits, as a
// Markdown table made from the route table (docs/ACCESS.md holds a copy
// that a test keeps current).
func (s *Server) AccessMatrix() string {
	var b strings.Builder
	kinds := AccessKinds()
	b.WriteString("| route | scope |")
	for _, k := range kinds {
		b.WriteString(" " + k.Name + " |")
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---|", len(kinds)) + "\n")
	for _, rt := range s.Routes() {
		scope := "`" + rt.Scope + "`"
		for _, sc := range rt.Also {
			scope += " + `" + sc + "`"
		}
		switch {
		case rt.Kiosk && rt.Path == APIPrefix+"/kiosk/pair":
			scope = "none: a pairing code"
		case rt.Kiosk:
			scope = "none: the kiosk cookie"
		}
		if rt.LiveOnly {
			scope += " (live only)"
		}
		switch {
		case rt.Approval:
			scope += " (the owner's session or an internal key)"
		case rt.OwnerOnly:
			scope += " (owner only)"
		}
		fmt.Fprintf(&b, "| `%s %s` | %s |", rt.Method, strings.TrimPrefix(rt.Path, APIPrefix), scope)
		for _, k := range kinds {
			mark := "—"
			if k.Admits(rt) {
				mark = "✓"
			}
			b.WriteString(" " + mark + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}
