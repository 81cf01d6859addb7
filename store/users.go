package store

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/bcrypt"
)

var (
	bucketUsers    = []byte("users")    // be64 id -> userRecord JSON
	bucketSessions = []byte("sessions") // sha256(token) -> session JSON
)

// SessionTTL is how long a console sign-in lasts.
const SessionTTL = 12 * time.Hour

// setupTTL bounds the one-time setup link.
const setupTTL = 24 * time.Hour

// User is a staff member as the API shows them.
type User struct {
	ID     uint64 `json:"id"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	Role   string `json:"role"`
	Active bool   `json:"active"`
	// Host: visitors may name this staff member as the one they visit;
	// Phone reaches them when one arrives.
	Host  bool   `json:"host"`
	Phone string `json:"phone"`
	// OnSiteLocationID is where the staff member is marked present (0: not
	// on site); an evacuation's roll call counts them.
	OnSiteLocationID uint64    `json:"on_site_location_id"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

type userRecord struct {
	User
	PasswordHash []byte    `json:"password_hash,omitempty"`
	SetupHash    []byte    `json:"setup_hash,omitempty"`
	SetupExpires time.Time `json:"setup_expires,omitzero"`
	Invited      bool      `json:"invited,omitempty"` // SetupHash is an invitation link's
}

type session struct {
	UserID  uint64    `json:"user_id"`
	Expires time.Time `json:"expires"`
}

// Users lists staff in id order; activeOnly drops deactivated accounts.
// Staff lists are short, so this reads them all.
func (s *Store) Users(activeOnly bool) ([]User, error) {
	out := []User{}
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUsers).ForEach(func(_, v []byte) error {
			var r userRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			if !activeOnly || r.Active {
				out = append(out, r.User)
			}
			return nil
		})
	})
	return out, err
}

// UserByID returns one staff member.
func (s *Store) UserByID(id uint64) (User, error) {
	var out User
	err := s.view(func(tx *bolt.Tx) error {
		r, err := getRecord[userRecord](tx, bucketUsers, id, "user")
		if err == nil {
			out = r.User
		}
		return err
	})
	return out, err
}

// Owner returns the owner account and whether its setup is still pending.
func (s *Store) Owner() (User, bool, error) {
	var out User
	pending := false
	err := s.view(func(tx *bolt.Tx) error {
		r, err := firstOwner(tx)
		if r != nil {
			out, pending = r.User, len(r.PasswordHash) == 0
		}
		return err
	})
	if err == nil && out.ID == 0 {
		err = notFound("owner")
	}
	return out, pending, err
}

// StartSetup creates the owner account on first start (if there is none) and,
// while the owner has no password, mints a fresh one-time setup token.
// It returns "" once setup is done.
func (s *Store) StartSetup(ctx context.Context) (string, error) {
	token, err := randomBase62(24)
	if err != nil {
		return "", err
	}
	issued := ""
	err = s.update(ctx, func(tx *bolt.Tx) error {
		issued = ""
		b := tx.Bucket(bucketUsers)
		owner, err := firstOwner(tx)
		if err != nil {
			return err
		}
		now := s.clock()
		if owner == nil {
			id, err := b.NextSequence()
			if err != nil {
				return err
			}
			owner = &userRecord{User: User{ID: id, Name: "Owner", Role: "owner", Active: true, CreatedAt: now, UpdatedAt: now}}
		}
		if len(owner.PasswordHash) > 0 {
			return nil
		}
		owner.SetupHash, owner.SetupExpires = hashKey(token), now.Add(setupTTL)
		issued = token
		return putUser(b, owner)
	})
	return issued, err
}

func putUser(b *bolt.Bucket, r *userRecord) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return b.Put(itob(r.ID), raw)
}

// SetupInput is the owner's first sign-in: the setup token and their account.
type SetupInput struct {
	Token    string `json:"token"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

// ErrBadSetupToken means the setup link is unknown, used or expired.
var ErrBadSetupToken = &ConflictError{Msg: "this setup link is no longer valid; restart portal to print a new one"}

// CompleteSetup sets the owner's password with the one-time token and signs
// them in, returning a session token.
func (s *Store) CompleteSetup(ctx context.Context, in SetupInput) (string, User, error) {
	var p Problems
	in.Name, in.Email = strings.TrimSpace(in.Name), strings.TrimSpace(in.Email)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 120 {
		p.Add("name", "is required (1 to 120 characters)")
	}
	if !validEmail(in.Email) {
		p.Add("email", "must be a valid email address")
	}
	if len(in.Password) < 10 || len(in.Password) > 72 {
		p.Add("password", "must be 10 to 72 characters")
	}
	if err := p.Err(); err != nil {
		return "", User{}, err
	}
	// Check the token before paying for bcrypt, so that guessing costs us nothing.
	if err := s.view(func(tx *bolt.Tx) error { _, err := s.setupOwner(tx, in.Token); return err }); err != nil {
		return "", User{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(in.Password), bcrypt.DefaultCost)
	if err != nil {
		return "", User{}, err
	}
	var out User
	err = s.update(ctx, func(tx *bolt.Tx) error {
		owner, err := s.setupOwner(tx, in.Token)
		if err != nil {
			return err
		}
		b := tx.Bucket(bucketUsers)
		owner.Name, owner.Email, owner.PasswordHash = in.Name, in.Email, hash
		owner.SetupHash, owner.SetupExpires = nil, time.Time{}
		owner.UpdatedAt = s.clock()
		out = owner.User
		return putUser(b, owner)
	})
	if err != nil {
		return "", User{}, err
	}
	token, err := s.NewSession(ctx, out.ID)
	return token, out, err
}

// firstOwner returns the first owner account (the one setup created), or nil.
func firstOwner(tx *bolt.Tx) (*userRecord, error) {
	var owner *userRecord
	err := tx.Bucket(bucketUsers).ForEach(func(_, v []byte) error {
		if owner != nil {
			return nil
		}
		var r userRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		if r.Role == "owner" {
			owner = &r
		}
		return nil
	})
	return owner, err
}

// setupOwner returns the owner whose one-time setup token this is.
func (s *Store) setupOwner(tx *bolt.Tx, token string) (*userRecord, error) {
	owner, err := firstOwner(tx)
	if err != nil {
		return nil, err
	}
	if owner == nil || len(owner.PasswordHash) > 0 || owner.SetupHash == nil ||
		s.clock().After(owner.SetupExpires) ||
		subtle.ConstantTimeCompare(owner.SetupHash, hashKey(token)) != 1 {
		return nil, ErrBadSetupToken
	}
	return owner, nil
}

// ErrBadCredentials means the email or password is wrong.
var ErrBadCredentials = ErrBadKey

// SignIn checks a staff member's email and password and opens a session.
func (s *Store) SignIn(ctx context.Context, email, password string) (string, User, error) {
	var rec *userRecord
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUsers).ForEach(func(_, v []byte) error {
			var r userRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			if strings.EqualFold(r.Email, strings.TrimSpace(email)) && r.Active && rec == nil {
				rec = &r
			}
			return nil
		})
	})
	if err != nil {
		return "", User{}, err
	}
	hash := s.dummyHash()
	if rec != nil && len(rec.PasswordHash) > 0 {
		hash = rec.PasswordHash
	}
	// Compare even for unknown emails (and staff without a password yet) so
	// timing does not reveal which exist; only a real hash can succeed.
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || rec == nil || len(rec.PasswordHash) == 0 {
		return "", User{}, ErrBadCredentials
	}
	token, err := s.NewSession(ctx, rec.ID)
	return token, rec.User, err
}

// NewSession opens a console session for a user and returns its token.
func (s *Store) NewSession(ctx context.Context, userID uint64) (string, error) {
	token, err := randomBase62(32)
	if err != nil {
		return "", err
	}
	raw, err := json.Marshal(session{UserID: userID, Expires: s.clock().Add(SessionTTL)})
	if err != nil {
		return "", err
	}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSessions).Put(hashKey(token), raw)
	})
	return token, err
}

// SessionUser returns the active user behind a session token.
func (s *Store) SessionUser(token string) (User, error) {
	var out User
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSessions).Get(hashKey(token))
		if v == nil {
			return ErrBadKey
		}
		var sess session
		if err := json.Unmarshal(v, &sess); err != nil {
			return err
		}
		if s.clock().After(sess.Expires) {
			return ErrBadKey
		}
		r, err := getRecord[userRecord](tx, bucketUsers, sess.UserID, "user")
		if err != nil || !r.Active {
			return ErrBadKey
		}
		out = r.User
		return nil
	})
	return out, err
}

// EndSession signs a session out.
func (s *Store) EndSession(ctx context.Context, token string) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSessions).Delete(hashKey(token))
	})
	s.keys.reset() // the session's live connections close now (AccessChanged)
	return err
}

// dummyHash is a real bcrypt hash of nothing anyone types, compared against
// for unknown emails: a malformed one would fail at once and give away that
// the email has no account.
func (s *Store) dummyHash() []byte {
	s.dummyOnce.Do(func() {
		secret := make([]byte, 32) // random, so no one can know what it matches
		rand.Read(secret)
		s.dummy, _ = bcrypt.GenerateFromPassword(secret[:], bcrypt.DefaultCost)
	})
	return s.dummy
}
