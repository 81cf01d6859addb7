package store

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/bcrypt"
)

// inviteTTL bounds an invitation link.
const inviteTTL = 7 * 24 * time.Hour

// InviteInput invites a staff member.
type InviteInput struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Role  string `json:"role"`
}

// UserPatch changes a staff member's name, role or whether they may sign in.
type UserPatch struct {
	Name   *string `json:"name"`
	Role   *string `json:"role"`
	Active *bool   `json:"active"`
	// Host and Phone: whether visitors may name them, and how to reach them.
	Host  *bool   `json:"host"`
	Phone *string `json:"phone"`
}

func validRole(role string) bool { return slices.Contains(Roles, role) }

// emailTaken reports whether another staff member has email.
func emailTaken(tx *bolt.Tx, email string, except uint64) (bool, error) {
	taken := false
	err := tx.Bucket(bucketUsers).ForEach(func(_, v []byte) error {
		var r userRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		taken = taken || (r.ID != except && strings.EqualFold(r.Email, email))
		return nil
	})
	return taken, err
}

// InviteUser adds a staff member who sets their own password through a
// one-time link (the returned token), valid for a week.
func (s *Store) InviteUser(ctx context.Context, in InviteInput) (User, string, error) {
	var p Problems
	in.Name, in.Email = strings.TrimSpace(in.Name), strings.TrimSpace(in.Email)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 120 {
		p.Add("name", "is required (1 to 120 characters)")
	}
	if !validEmail(in.Email) {
		p.Add("email", "must be a valid email address")
	}
	if !validRole(in.Role) {
		p.Add("role", "must be one of "+strings.Join(Roles, ", "))
	}
	if err := p.Err(); err != nil {
		return User{}, "", err
	}
	token, err := randomBase62(24)
	if err != nil {
		return User{}, "", err
	}
	var out User
	err = s.update(ctx, func(tx *bolt.Tx) error {
		if taken, err := emailTaken(tx, in.Email, 0); err != nil || taken {
			if err == nil {
				err = Conflict("a staff member already has the email %s", in.Email)
			}
			return err
		}
		b := tx.Bucket(bucketUsers)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		now := s.clock()
		r := &userRecord{User: User{ID: id, Name: in.Name, Email: in.Email, Role: in.Role, Active: true, CreatedAt: now, UpdatedAt: now},
			SetupHash: hashKey(token), SetupExpires: now.Add(inviteTTL), Invited: true}
		out = r.User
		return putUser(b, r)
	})
	return out, token, err
}

// AcceptInvite sets an invited staff member's password with their link's
// token and signs them in.
func (s *Store) AcceptInvite(ctx context.Context, token, password string) (string, User, error) {
	if len(password) < 10 || len(password) > 72 {
		return "", User{}, Invalid("password", "must be 10 to 72 characters")
	}
	// Check the token before paying for bcrypt.
	if err := s.view(func(tx *bolt.Tx) error { _, err := s.invited(tx, token); return err }); err != nil {
		return "", User{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", User{}, err
	}
	var out User
	err = s.update(ctx, func(tx *bolt.Tx) error {
		r, err := s.invited(tx, token)
		if err != nil {
			return err
		}
		r.PasswordHash, r.SetupHash, r.SetupExpires, r.UpdatedAt = hash, nil, time.Time{}, s.clock()
		out = r.User
		return putUser(tx.Bucket(bucketUsers), r)
	})
	if err != nil {
		return "", User{}, err
	}
	session, err := s.NewSession(ctx, out.ID)
	return session, out, err
}

// Invitee is the staff member an invitation link is for, so the page that
// accepts it can greet them by name and email before they choose a password.
func (s *Store) Invitee(token string) (User, error) {
	var out User
	err := s.view(func(tx *bolt.Tx) error {
		r, err := s.invited(tx, token)
		if err == nil {
			out = r.User
		}
		return err
	})
	return out, err
}

// ErrBadInvite means an invitation link is unknown, used or expired.
var ErrBadInvite = &ConflictError{Msg: "this invitation link is no longer valid; ask the owner for a new one"}

// invited finds the active, password-less staff member whose token this is.
func (s *Store) invited(tx *bolt.Tx, token string) (*userRecord, error) {
	want := hashKey(token)
	var found *userRecord
	err := tx.Bucket(bucketUsers).ForEach(func(_, v []byte) error {
		var r userRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		// Only invitations: the owner's setup link sets name and email too (CompleteSetup).
		if r.Invited && r.SetupHash != nil && subtle.ConstantTimeCompare(r.SetupHash, want) == 1 {
			found = &r
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if found == nil || !found.Active || len(found.PasswordHash) > 0 || s.clock().After(found.SetupExpires) {
		return nil, ErrBadInvite
	}
	return found, nil
}

// UpdateUser changes a staff member. The shop keeps at least one active owner.
func (s *Store) UpdateUser(ctx context.Context, id uint64, p UserPatch) (User, error) {
	if p.Role != nil && !validRole(*p.Role) {
		return User{}, Invalid("role", "must be one of "+strings.Join(Roles, ", "))
	}
	if p.Name != nil && (strings.TrimSpace(*p.Name) == "" || utf8.RuneCountInString(*p.Name) > 120) {
		return User{}, Invalid("name", "is required (1 to 120 characters)")
	}
	if p.Phone != nil && strings.TrimSpace(*p.Phone) != "" && !validPhone(strings.TrimSpace(*p.Phone)) {
		return User{}, Invalid("phone", "must be a phone number (digits, spaces, + - ( ) .)")
	}
	var out User
	err := s.update(ctx, func(tx *bolt.Tx) error {
		r, err := getRecord[userRecord](tx, bucketUsers, id, "user")
		if err != nil {
			return err
		}
		if p.Name != nil {
			r.Name = strings.TrimSpace(*p.Name)
		}
		if p.Role != nil {
			r.Role = *p.Role
		}
		if p.Active != nil {
			r.Active = *p.Active
		}
		if p.Host != nil {
			r.Host = *p.Host
		}
		if p.Phone != nil {
			r.Phone = strings.TrimSpace(*p.Phone)
		}
		if err := keepsAnOwner(tx, r); err != nil {
			return err
		}
		r.UpdatedAt = s.clock()
		out = r.User
		return putUser(tx.Bucket(bucketUsers), r)
	})
	s.keys.reset() // after the commit: their keys follow the new role or access at once
	return out, err
}

// keepsAnOwner refuses a change that would leave no active owner.
func keepsAnOwner(tx *bolt.Tx, changed *userRecord) error {
	before, after := 0, 0
	err := tx.Bucket(bucketUsers).ForEach(func(_, v []byte) error {
		var r userRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		if r.Role == "owner" && r.Active {
			before++
		}
		if r.ID == changed.ID {
			r = *changed
		}
		if r.Role == "owner" && r.Active {
			after++
		}
		return nil
	})
	// Only a change that removes the last owner is refused: a test store's
	// staff may have no owner at all, and editing them must still work.
	if err == nil && before > 0 && after == 0 {
		err = Conflict("the shop needs at least one active owner")
	}
	return err
}
