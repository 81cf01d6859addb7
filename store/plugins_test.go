package store

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

func seedManifest(t testing.TB) PluginManifest {
	t.Helper()
	raw, err := os.ReadFile("testdata/seed000-plugin.json")
	if err != nil {
		t.Fatal(err)
	}
	var m PluginManifest
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSeedManifestValidates(t *testing.T) {
	m := seedManifest(t)
	if err := m.Validate(); err != nil {
		t.Fatalf("seed 000's manifest: %v", err)
	}
}

func TestPluginInstallUpgradeUninstall(t *testing.T) {
	s := openTest(t)
	sealer := testSealer(t)
	ctx := WithActor(context.Background(), Actor{Type: ActorUser, ID: 1, Name: "Owner"})
	m := seedManifest(t)
	p, secret, err := s.InstallPlugin(ctx, m, sealer)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "pk_live_") || p.ID != "quickbooks-sync" || p.KeyID == 0 || len(p.WebhookIDs) != 1 {
		t.Fatalf("installed %+v %q", p, secret)
	}
	k, err := s.Authenticate(secret)
	if err != nil || k.PluginID != m.ID || k.Type != KeyPlugin || !slices.Equal(k.Scopes, m.Scopes) {
		t.Fatalf("key %+v %v", k, err)
	}
	w, err := s.Webhook(p.WebhookIDs[0])
	if err != nil || w.Owner != p.PluginActor() || w.Format != "portal" || !slices.Equal(w.Events, []string{"ticket.closed"}) {
		t.Fatalf("webhook %+v %v", w, err)
	}
	if got := s.ScopesOf(w.Owner); !slices.Equal(got, m.Scopes) {
		t.Fatalf("ScopesOf(plugin) = %v", got)
	}
	if _, _, err := s.InstallPlugin(ctx, m, sealer); !errors.As(err, new(*ConflictError)) {
		t.Fatalf("same version again: %v", err)
	}
	// A newer version asking more scopes waits; the old ones hold.
	m2 := m
	m2.Version, m2.Scopes = "1.3.0", []string{"tickets.read", "customers.read", "store.read", "tickets.write"}
	p2, s2, err := s.InstallPlugin(ctx, m2, sealer)
	if err != nil || s2 != "" || p2.PendingManifest == nil || p2.Version != "1.2.0" || !slices.Equal(p2.PendingScopes, m2.Scopes) {
		t.Fatalf("upgrade: %+v %q %v", p2, s2, err)
	}
	if k, _ := s.Authenticate(secret); slices.Contains(k.Scopes, "tickets.write") {
		t.Fatal("pending scope granted before approval")
	}
	if _, err := s.ApprovePlugin(ctx, m.ID, sealer); err != nil {
		t.Fatal(err)
	}
	if k, _ := s.Authenticate(secret); !slices.Contains(k.Scopes, "tickets.write") {
		t.Fatalf("approved scope missing: %v", k.Scopes)
	}
	if got, _ := s.Plugin(m.ID); got.Version != "1.3.0" || got.PendingManifest != nil || !slices.Equal(got.WebhookIDs, p.WebhookIDs) {
		t.Fatalf("after approval %+v", got)
	}
	if err := s.UninstallPlugin(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(secret); !errors.Is(err, ErrBadKey) {
		t.Fatalf("key after uninstall: %v", err)
	}
	if _, err := s.Webhook(p.WebhookIDs[0]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("webhook after uninstall: %v", err)
	}
	if list, _ := s.ListPlugins(); len(list) != 0 {
		t.Fatalf("plugins after uninstall: %v", list)
	}
	if err := s.UninstallPlugin(ctx, m.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second uninstall: %v", err)
	}
}
