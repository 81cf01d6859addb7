package store

import (
	"errors"
	"testing"
	"time"
)

const ownerPassword = "correct horse battery"

func TestSetupTokenWorksOnceAndSetsThePassword(t *testing.T) {
	t.Parallel() // bcrypt is slow by design, the more so under -race
	s := openTest(t)
	ctx := t.Context()
	first := startOwner(t, s)
	owner, pending, err := s.Owner()
	if err != nil || !pending || owner.Role != "owner" || !owner.Active {
		t.Fatalf("Owner() = %+v, pending %v, %v", owner, pending, err)
	}
	// Asking again (a restart) mints a fresh token and retires the old one.
	token := startOwner(t, s)
	if token == first {
		t.Fatal("a second StartSetup returned the same token")
	}
	in := SetupInput{Token: first, Name: "Ada", Email: "ada@shop.example", Password: ownerPassword}
	if _, _, err := s.CompleteSetup(ctx, in); !errors.Is(err, ErrBadSetupToken) {
		t.Fatalf("CompleteSetup with a replaced token = %v, want ErrBadSetupToken", err)
	}

	tests := []struct {
		name  string
		in    SetupInput
		field []string
	}{
		{"short password", SetupInput{Token: token, Name: "Ada", Email: "ada@shop.example", Password: "123456789"}, []string{"password"}},
		{"bad email", SetupInput{Token: token, Name: "Ada", Email: "ada", Password: ownerPassword}, []string{"email"}},
		{"no name", SetupInput{Token: token, Email: "ada@shop.example", Password: ownerPassword}, []string{"name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := s.CompleteSetup(t.Context(), tt.in)
			wantFields(t, err, tt.field...)
		})
	}

	in.Token = token
	session, user, err := s.CompleteSetup(ctx, in)
	if err != nil {
		t.Fatalf("CompleteSetup: %v", err)
	}
	if user.Name != "Ada" || user.Email != "ada@shop.example" || user.Role != "owner" {
		t.Errorf("owner after setup: %+v", user)
	}
	if got, err := s.SessionUser(session); err != nil || got.ID != user.ID {
		t.Fatalf("SessionUser(setup session) = %+v, %v", got, err)
	}
	_, _, err = s.CompleteSetup(ctx, in)
	if !errors.Is(err, ErrBadSetupToken) {
		t.Fatalf("a second use of the token = %v, want ErrBadSetupToken", err)
	}
	wantConflict(t, err)
	if again, err := s.StartSetup(ctx); err != nil || again != "" {
		t.Fatalf("StartSetup after setup = %q, %v; want no token", again, err)
	}
	if _, pending, _ := s.Owner(); pending {
		t.Error("the owner is still pending after setup")
	}
	if users, err := s.Users(true); err != nil || len(users) != 1 {
		t.Errorf("Users = %v, %v; want the owner alone", users, err)
	}
}

func TestSetupTokenExpiresAfterADay(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	token := startOwner(t, s)
	clock.Advance(setupTTL + time.Second)
	_, _, err := s.CompleteSetup(t.Context(), SetupInput{Token: token, Name: "Late", Email: "late@shop.example", Password: ownerPassword})
	if !errors.Is(err, ErrBadSetupToken) {
		t.Fatalf("CompleteSetup with an expired token = %v, want ErrBadSetupToken", err)
	}
}

func TestSignInNeedsTheRightPasswordAndSessionsExpire(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	ctx := t.Context()
	token := startOwner(t, s)
	if _, _, err := s.CompleteSetup(ctx, SetupInput{Token: token, Name: "Ada", Email: "ada@shop.example", Password: ownerPassword}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct{ email, password string }{
		{"ada@shop.example", ownerPassword + "!"},
		{"bob@shop.example", ownerPassword},
	} {
		if _, _, err := s.SignIn(ctx, bad.email, bad.password); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("SignIn(%s, %q) = %v, want ErrBadCredentials", bad.email, bad.password, err)
		}
	}
	session, user, err := s.SignIn(ctx, " ADA@shop.example ", ownerPassword)
	if err != nil || user.Email != "ada@shop.example" {
		t.Fatalf("SignIn with the right password = %+v, %v", user, err)
	}
	clock.Advance(SessionTTL - time.Second)
	if _, err := s.SessionUser(session); err != nil {
		t.Fatalf("a session just inside its TTL: %v", err)
	}
	clock.Advance(2 * time.Second)
	if _, err := s.SessionUser(session); !errors.Is(err, ErrBadKey) {
		t.Fatalf("a session past its TTL = %v, want ErrBadKey", err)
	}
	if _, err := s.SessionUser("made-up"); !errors.Is(err, ErrBadKey) {
		t.Fatalf("an unknown session = %v", err)
	}

	fresh, err := s.NewSession(ctx, user.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EndSession(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionUser(fresh); !errors.Is(err, ErrBadKey) {
		t.Fatalf("a signed-out session = %v, want ErrBadKey", err)
	}
}

// Staff without a password yet (the owner before setup, an invitee before
// accepting) cannot be signed into with any password.
func TestStaffWithoutPasswordCannotSignIn(t *testing.T) {
	s := openTest(t)
	if _, err := s.StartSetup(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.InviteUser(t.Context(), InviteInput{Name: "Sam", Email: "sam@example.com", Role: "manager"}); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"", "sam@example.com"} {
		for _, password := range []string{"", "no account has this password", "anything at all"} {
			if _, _, err := s.SignIn(t.Context(), email, password); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("SignIn(%q, %q) = %v, want ErrBadCredentials", email, password, err)
			}
		}
	}
}
