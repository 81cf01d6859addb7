package store

import (
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const testCreds = `-----BEGIN NATS USER JWT-----
eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.c2ln
------END NATS USER JWT------

-----BEGIN USER NKEY SEED-----
SUAEXAMPLESEEDEXAMPLESEEDEXAMPLESEEDEXAMPLESEEDEXAMPLE
------END USER NKEY SEED------`

func chainStr(s string) *string { return &s }

func TestChainSettingsSealTheAddressAndCreds(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	keyFile := filepath.Join(t.TempDir(), "seal.key")
	sealer, err := LoadSealer(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.ChainSettings(sealer)
	if err != nil {
		t.Fatal(err)
	}
	if got.NATSURL != "" || got.CredsSet || got.Stream != "PORTAL" || !got.ShopDefault || !regexp.MustCompile(`^shop-[a-z2-7]{8}$`).MatchString(got.Shop) {
		t.Fatalf("defaults: %+v", got)
	}
	// The id comes from the seal key: the same key file (a restart, a
	// restored backup) gives the same id, another appliance's another.
	reloaded, err := LoadSealer(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	other, err := LoadSealer(filepath.Join(t.TempDir(), "other.key"))
	if err != nil {
		t.Fatal(err)
	}
	if again := ChainDefaultShop(reloaded); again != got.Shop || ChainDefaultShop(other) == got.Shop {
		t.Fatalf("the default shop id: %s, then %s with the same key, %s with another", got.Shop, again, ChainDefaultShop(other))
	}

	var seen ChainConnection
	check := func(c ChainConnection) error { seen = c; return nil }
	set, err := s.UpdateChainSettings(t.Context(), ChainSettingsPatch{NATSURL: chainStr(" nats://branch:hunter2@hub.lan:4222 , tls://tok3n@10.0.0.2:4222 "),
		Creds: chainStr(testCreds), Shop: chainStr("downtown")}, sealer, check)
	if err != nil {
		t.Fatal(err)
	}
	if set.NATSURL != "nats://***@hub.lan:4222,tls://***@10.0.0.2:4222" || !set.CredsSet || set.Shop != "downtown" || set.ShopDefault {
		t.Fatalf("after the patch: %+v", set)
	}
	if seen.URL != "nats://branch:hunter2@hub.lan:4222,tls://tok3n@10.0.0.2:4222" || !strings.Contains(seen.Creds, "NKEY SEED") || seen.Stream != "PORTAL" {
		t.Fatalf("check saw %+v", seen)
	}
	conn, err := s.ChainConnection(sealer)
	if err != nil || conn.URL != seen.URL || conn.Creds != seen.Creds || conn.Shop != "downtown" {
		t.Fatalf("ChainConnection: %+v %v", conn, err)
	}
	// Nothing secret in the file's settings record or in the event.
	ev := lastEvent(t, s)
	for _, secret := range []string{"hunter2", "tok3n", "SUAEXAMPLE", "eyJ0eXAi", "hub.lan", "10.0.0.2"} {
		if strings.Contains(ev, secret) {
			t.Fatalf("the event shows %s: %s", secret, ev)
		}
	}
	if !strings.Contains(ev, `"chain":{"nats_url":{"from":"off","to":"on"},"creds_set":{"from":false,"to":true},"shop"`) {
		t.Fatalf("event: %s", ev)
	}

	// The same servers with a new password keep the creds; other servers drop them.
	set, err = s.UpdateChainSettings(t.Context(), ChainSettingsPatch{NATSURL: chainStr("nats://branch:new@hub.lan:4222,tls://tok3n@10.0.0.2:4222")}, sealer, nil)
	if err != nil || !set.CredsSet {
		t.Fatalf("a new password: %+v %v", set, err)
	}
	set, err = s.UpdateChainSettings(t.Context(), ChainSettingsPatch{NATSURL: chainStr("nats://evil.example:4222")}, sealer, nil)
	if err != nil || set.CredsSet {
		t.Fatalf("another server kept the creds: %+v %v", set, err)
	}
	if conn, _ := s.ChainConnection(sealer); conn.Creds != "" {
		t.Fatal("the creds were not dropped")
	}

	// Creds given with the address stay with it; off keeps them for the same servers.
	if _, err := s.UpdateChainSettings(t.Context(), ChainSettingsPatch{NATSURL: chainStr("nats://hub.lan:4222"), Creds: chainStr(testCreds)}, sealer, nil); err != nil {
		t.Fatal(err)
	}
	if set, _ := s.UpdateChainSettings(t.Context(), ChainSettingsPatch{NATSURL: chainStr("")}, sealer, nil); set.NATSURL != "" || !set.CredsSet {
		t.Fatalf("off: %+v", set)
	}
	if set, _ := s.UpdateChainSettings(t.Context(), ChainSettingsPatch{NATSURL: chainStr("nats://HUB.lan:4222")}, sealer, nil); !set.CredsSet {
		t.Fatalf("back on the same hub: %+v", set)
	}
	if set, _ := s.UpdateChainSettings(t.Context(), ChainSettingsPatch{Creds: chainStr("")}, sealer, nil); set.CredsSet {
		t.Fatalf("creds removed: %+v", set)
	}
	// The default shop id and stream are not stored as such: "" returns to them.
	if set, _ := s.UpdateChainSettings(t.Context(), ChainSettingsPatch{Shop: chainStr(""), Stream: chainStr("EVENTS")}, sealer, nil); !set.ShopDefault || set.Stream != "EVENTS" {
		t.Fatalf("shop reset: %+v", set)
	}

	// check refuses: nothing changes.
	refused := errors.New("refused")
	if _, err := s.UpdateChainSettings(t.Context(), ChainSettingsPatch{Stream: chainStr("OTHER")}, sealer, func(ChainConnection) error { return refused }); !errors.Is(err, refused) {
		t.Fatalf("check's error: %v", err)
	}
	if set, _ := s.ChainSettings(sealer); set.Stream != "EVENTS" {
		t.Fatalf("a refused patch changed the stream: %+v", set)
	}
}

func TestChainSettingsRefuseBadInput(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	sealer, err := LoadSealer(filepath.Join(t.TempDir(), "seal.key"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		patch ChainSettingsPatch
		field string
	}{
		{ChainSettingsPatch{NATSURL: chainStr("http://hub:4222")}, "nats_url"},
		{ChainSettingsPatch{NATSURL: chainStr("hub:4222")}, "nats_url"},
		{ChainSettingsPatch{NATSURL: chainStr("nats://***@hub:4222")}, "nats_url"},
		{ChainSettingsPatch{NATSURL: chainStr("nats://hub:4222/path")}, "nats_url"},
		{ChainSettingsPatch{NATSURL: chainStr("nats://hub:99999")}, "nats_url"},
		{ChainSettingsPatch{NATSURL: chainStr("nats://a:4222,,nats://b:4222")}, "nats_url"},
		{ChainSettingsPatch{Creds: chainStr("not a creds file")}, "creds"},
		{ChainSettingsPatch{Stream: chainStr("a.b")}, "stream"},
		{ChainSettingsPatch{Shop: chainStr("Down Town")}, "shop"},
		{ChainSettingsPatch{Shop: chainStr("a.>")}, "shop"},
	} {
		_, err := s.UpdateChainSettings(t.Context(), c.patch, sealer, nil)
		var v *ValidationError
		if !errors.As(err, &v) || v.Fields[0].Field != c.field {
			t.Errorf("%+v: %v, want a validation error on %s", c.patch, err, c.field)
		}
	}
	for _, ok := range []string{"nats://10.0.0.5:4222", "tls://hub.example.com", "ws://leaf.local:8080", "wss://hub.example.com:443", "nats://[::1]:4222"} {
		if _, err := s.UpdateChainSettings(t.Context(), ChainSettingsPatch{NATSURL: &ok}, sealer, nil); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// lastEvent is the newest event of the log as stored.
func lastEvent(t *testing.T, s *Store) string {
	t.Helper()
	evs, err := s.EventsAfter(0, 100000)
	if err != nil || len(evs) == 0 {
		t.Fatalf("EventsAfter: %v", err)
	}
	return string(evs[len(evs)-1].JSON)
}
