package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func testSealer(t *testing.T) *Sealer {
	t.Helper()
	sealer, err := LoadSealer(filepath.Join(t.TempDir(), "seal.key"))
	if err != nil {
		t.Fatal(err)
	}
	return sealer
}

// startOwner creates the owner account (user keys belong to a staff member).
func startOwner(t *testing.T, s *Store) string {
	t.Helper()
	token, err := s.StartSetup(t.Context())
	if err != nil || token == "" {
		t.Fatalf("StartSetup = %q, %v", token, err)
	}
	return token
}

func isBase62(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune(base62, r) {
			return false
		}
	}
	return true
}

func TestEachKeyTypeHasItsPrefix(t *testing.T) {
	s := openTest(t)
	startOwner(t, s)
	sealer := testSealer(t)
	tests := []struct {
		typ    KeyType
		prefix string
		mode   Mode
		tier   string
	}{
		{KeyPlugin, "pk_live_", Live, "paid"},
		{KeyDeveloper, "dk_test_", Test, "paid"},
		{KeyInternal, "ik_live_", Live, "unlimited"},
		{KeyUser, "uk_live_", Live, "paid"},
		{KeyApp, "app_", Live, "unlimited"},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ), func(t *testing.T) {
			k, err := s.CreateKey(t.Context(), KeyInput{Type: tt.typ, Name: "  " + string(tt.typ) + " key ", Scopes: []string{"tickets.read"}}, sealer)
			if err != nil {
				t.Fatal(err)
			}
			rest, ok := strings.CutPrefix(k.Secret, tt.prefix)
			if !ok || !isBase62(rest) || k.Prefix != tt.prefix {
				t.Fatalf("key %q (prefix %q), want prefix %s and base62", k.Secret, k.Prefix, tt.prefix)
			}
			if k.Mode != tt.mode || k.Tier != tt.tier || k.Name != string(tt.typ)+" key" || k.ID == 0 {
				t.Errorf("key %+v", k.APIKey)
			}
			if tt.typ == KeyApp {
				if len(rest) != 17 || len(k.AppSecret) != 43 || !isBase62(k.AppSecret) {
					t.Errorf("app id %q, app secret %q", k.Secret, k.AppSecret)
				}
				return
			}
			if len(rest) != 43 { // 32 random bytes in base62
				t.Errorf("secret part %q has %d characters, want 43", rest, len(rest))
			}
			if k.Last4 != rest[len(rest)-4:] {
				t.Errorf("last4 %q of %q", k.Last4, k.Secret)
			}
		})
	}
	keys, err := s.Keys()
	if err != nil || len(keys) != len(tests) || keys[0].Type != KeyApp {
		t.Fatalf("Keys() = %v, %v; want %d newest first", keys, err, len(tests))
	}
	for _, k := range keys {
		switch k.Type {
		case KeyInternal:
			if !slices.Equal(k.Scopes, AllScopes()) {
				t.Errorf("an internal key has scopes %v, want all", k.Scopes)
			}
		case KeyApp:
			if len(k.Scopes) != 0 {
				t.Errorf("an app id carries scopes %v", k.Scopes)
			}
		default:
			if !slices.Equal(k.Scopes, []string{"tickets.read"}) {
				t.Errorf("%s key scopes %v", k.Type, k.Scopes)
			}
		}
	}
}

func TestCreateKeyValidation(t *testing.T) {
	s := openTest(t)
	tests := []struct {
		name   string
		in     KeyInput
		fields []string
	}{
		{"unknown type", KeyInput{Type: "master", Name: "x"}, []string{"type"}},
		{"no name", KeyInput{Type: KeyPlugin, Name: " "}, []string{"name"}},
		{"unknown scope", KeyInput{Type: KeyPlugin, Name: "x", Scopes: []string{"tickets.read", "root"}}, []string{"scopes"}},
		{"unknown tier", KeyInput{Type: KeyPlugin, Name: "x", Tier: "gold"}, []string{"tier"}},
		{"a plugin with backups", KeyInput{Type: KeyPlugin, Name: "x", Scopes: []string{"backup.read"}}, []string{"scopes"}},
		{"user key without an owner", KeyInput{Type: KeyUser, Name: "x"}, []string{"user_id"}},
		{"several", KeyInput{Type: "master", Tier: "gold"}, []string{"type", "name", "tier"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreateKey(t.Context(), tt.in, nil)
			wantFields(t, err, tt.fields...)
		})
	}
	if _, err := s.CreateKey(t.Context(), KeyInput{Type: KeyApp, Name: "no sealer"}, nil); err == nil {
		t.Error("app credentials were made without a sealer")
	}
}

func TestAuthenticateAcceptsTheKeyAndRejectsRevokedOrAltered(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	k, err := s.CreateKey(ctx, KeyInput{Type: KeyPlugin, Name: "plugin", Scopes: []string{"tickets.read"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.CreateKey(ctx, KeyInput{Type: KeyInternal, Name: "other"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second answer comes from the cache
		got, err := s.Authenticate(k.Secret)
		if err != nil || got.ID != k.ID || !slices.Equal(got.Scopes, []string{"tickets.read"}) {
			t.Fatalf("Authenticate(valid) = %+v, %v", got, err)
		}
	}
	last := k.Secret[len(k.Secret)-1]
	swap := byte('a')
	if last == 'a' {
		swap = 'b'
	}
	for _, bad := range []string{
		k.Secret[:len(k.Secret)-1] + string(swap),
		"pk_test_" + strings.TrimPrefix(k.Secret, "pk_live_"),
		k.Secret[:len(k.Secret)-1],
		k.Secret + "0",
		strings.TrimPrefix(k.Secret, "pk_live_"),
		"",
	} {
		if _, err := s.Authenticate(bad); !errors.Is(err, ErrBadKey) {
			t.Errorf("Authenticate(%q) = %v, want ErrBadKey", bad, err)
		}
	}
	revoked, err := s.RevokeKey(ctx, k.ID)
	if err != nil || revoked.RevokedAt == nil {
		t.Fatalf("RevokeKey = %+v, %v", revoked, err)
	}
	if _, err := s.Authenticate(k.Secret); !errors.Is(err, ErrBadKey) {
		t.Fatalf("a revoked key (cached before) still authenticates: %v", err)
	}
	if got, err := s.Authenticate(other.Secret); err != nil || got.ID != other.ID {
		t.Fatalf("revoking one key broke another: %v", err)
	}
	if _, err := s.RevokeKey(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("RevokeKey(unknown) = %v", err)
	}
	// Revocation is on disk, not only in the cache.
	s = reopen(t, s, Options{})
	if _, err := s.Authenticate(k.Secret); !errors.Is(err, ErrBadKey) {
		t.Fatalf("after reopen a revoked key authenticates: %v", err)
	}
}

func TestAppSecretRoundTripsThroughTheSealer(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	sealer := testSealer(t)
	app, err := s.CreateKey(ctx, KeyInput{Type: KeyApp, Name: "signer"}, sealer)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.AppSecret(app.Secret, sealer)
	if err != nil || string(got) != app.AppSecret {
		t.Fatalf("AppSecret = %q, %v; want %q", got, err, app.AppSecret)
	}
	if _, err := s.Authenticate(app.Secret); !errors.Is(err, ErrBadKey) {
		t.Errorf("an app id authenticated as an API key: %v", err)
	}
	if _, err := s.AppSecret(app.Secret, testSealer(t)); err == nil {
		t.Error("another sealer opened the app secret")
	}
	plugin, _ := s.CreateKey(ctx, KeyInput{Type: KeyPlugin, Name: "p"}, nil)
	if _, err := s.AppSecret(plugin.Secret, sealer); !errors.Is(err, ErrBadKey) {
		t.Errorf("AppSecret(plugin key) = %v, want ErrBadKey", err)
	}
	if _, err := s.RevokeKey(ctx, app.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppSecret(app.Secret, sealer); !errors.Is(err, ErrBadKey) {
		t.Errorf("AppSecret(revoked) = %v, want ErrBadKey", err)
	}
}

func TestSecretsAreNotStoredInPlainText(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := t.Context()
	path := s.Path()
	sealer := testSealer(t)
	setup := startOwner(t, s)
	var secrets []string
	for _, typ := range []KeyType{KeyPlugin, KeyDeveloper, KeyInternal, KeyUser, KeyApp} {
		k, err := s.CreateKey(ctx, KeyInput{Type: typ, Name: string(typ)}, sealer)
		if err != nil {
			t.Fatal(err)
		}
		if typ == KeyApp {
			secrets = append(secrets, k.AppSecret)
			continue
		}
		secrets = append(secrets, k.Secret, strings.TrimPrefix(k.Secret, k.Prefix))
	}
	session, _, err := s.CompleteSetup(ctx, SetupInput{Token: setup, Name: "Owner", Email: "owner@shop.example", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, setup, session, "correct horse battery")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range secrets {
		if len(secret) < 16 {
			t.Fatalf("secret %q is too short to search for", secret)
		}
		if bytes.Contains(file, []byte(secret)) {
			t.Errorf("the store file contains the secret %q", secret)
		}
	}
	// The check itself can fail: the owner's email is stored as given.
	if !bytes.Contains(file, []byte("owner@shop.example")) {
		t.Fatal("the file search finds nothing at all; the check above proves nothing")
	}
}

func TestUserKeyScopesStayWithinTheRole(t *testing.T) {
	s := openTest(t)
	startOwner(t, s)
	k, err := s.CreateKey(t.Context(), KeyInput{Type: KeyUser, Name: "mine"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	owner, _, _ := s.Owner()
	if k.UserID != owner.ID || !slices.Equal(k.Scopes, RoleScopes("owner")) {
		t.Fatalf("user key %+v, want the owner's id and scopes", k.APIKey)
	}
	_, err = s.CreateKey(t.Context(), KeyInput{Type: KeyUser, Name: "ghost", UserID: 42}, nil)
	wantFields(t, err, "user_id")
}
