package store

import (
	"context"
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

// Actor types: who made a change, or who owns something that sends data
// later (a webhook). Never a secret.
const (
	ActorUser     = "user"     // a staff member, by user id (console session)
	ActorKey      = "key"      // an API key, by key id
	ActorPlugin   = "plugin"   // an installed plugin, by plugin id
	ActorCustomer = "customer" // a customer through their own page
	ActorSystem   = "system"   // the appliance itself (demo data, the CLI)
)

// Actor names a principal: a staff member, a key, a plugin, a customer or
// the appliance itself.
type Actor struct {
	Type string `json:"type"`
	ID   uint64 `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// System is the appliance acting on its own.
var System = Actor{Type: ActorSystem, Name: "Portal"}

type actorKey struct{}

// WithActor tells the store who is making the changes done with ctx: the
// events they cause name them.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom is the actor WithActor put in ctx, or the appliance itself.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok && a.Type != "" {
		return a
	}
	return System
}

// ScopesOf is what actor a may do now: a key's scopes while it is not
// revoked (a user key's narrowed to its staff member's current role, none
// once they are inactive), a staff member's role while they are active, and
// every scope for the appliance itself. Keys and staff are system records,
// so this is asked of the live store. It is cached like keys, and the cache
// is reset by every key or staff change, so a revocation or demotion is seen
// by the very next question.
func (s *Store) ScopesOf(a Actor) []string {
	switch a.Type {
	case ActorSystem, "": // "": an owner recorded before owners were (read as the appliance's)
		return AllScopes()
	case ActorKey, ActorUser, ActorPlugin: // a plugin is its key
	default:
		return nil
	}
	if scopes, ok := s.keys.actor(a); ok {
		return scopes
	}
	gen := s.keys.generation()
	var scopes []string
	err := s.view(func(tx *bolt.Tx) error {
		if a.Type == ActorUser {
			u, err := getRecord[userRecord](tx, bucketUsers, a.ID, "user")
			if err != nil {
				return err
			}
			if u.Active {
				scopes = RoleScopes(u.Role)
			}
			return nil
		}
		r, err := getRecord[keyRecord](tx, bucketKeys, a.ID, "key")
		if err != nil {
			return err
		}
		if r.RevokedAt == nil && r.Type != KeyApp {
			k, err := r.APIKey, error(nil)
			if k.Type == KeyUser {
				k, err = narrowToStaff(tx, k)
			}
			if err == nil {
				scopes = k.Scopes
			}
		}
		return nil
	})
	if err != nil {
		scopes = nil // unknown owner: nothing
	}
	s.keys.putActor(gen, a, scopes)
	return scopes
}

// narrowToStaff makes a user key exactly as strong as its staff member is
// now: ErrBadKey once they are inactive (or gone), and no scope their
// current role lacks.
func narrowToStaff(tx *bolt.Tx, k APIKey) (APIKey, error) {
	raw := tx.Bucket(bucketUsers).Get(itob(k.UserID))
	if raw == nil {
		return APIKey{}, ErrBadKey
	}
	var u userRecord
	if err := json.Unmarshal(raw, &u); err != nil {
		return APIKey{}, err
	}
	if !u.Active {
		return APIKey{}, ErrBadKey
	}
	role := RoleScopes(u.Role)
	narrowed := make([]string, 0, len(k.Scopes))
	for _, sc := range k.Scopes {
		if contains(role, sc) {
			narrowed = append(narrowed, sc)
		}
	}
	k.Scopes = narrowed
	return k, nil
}
