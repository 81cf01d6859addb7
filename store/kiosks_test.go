package store

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestKioskPairsOnceAndRevocationEndsIt(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	ctx := t.Context()
	loc, err := s.CreateLocation(ctx, LocationInput{Name: "Main Street", Timezone: "Europe/London"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateKiosk(ctx, KioskInput{Name: " ", LocationID: 0}); !kioskIsValidation(err, "name", "location_id") {
		t.Fatalf("empty input: %v", err)
	}
	if _, _, err := s.CreateKiosk(ctx, KioskInput{Name: "Lobby", LocationID: 99}); !kioskIsValidation(err, "location_id") {
		t.Fatalf("unknown location: %v", err)
	}
	k, code, err := s.CreateKiosk(ctx, KioskInput{Name: " Lobby ", LocationID: loc.ID})
	if err != nil {
		t.Fatal(err)
	}
	if k.Name != "Lobby" || k.Status != KioskWaiting || len(code) != 9 || code[4] != '-' {
		t.Fatalf("kiosk %+v, code %q", k, code)
	}

	// Typed sloppily, the code still pairs; then never again.
	typed := strings.ToLower(strings.ReplaceAll(code, "-", " "))
	paired, token, err := s.PairKiosk(ctx, typed)
	if err != nil || paired.Status != KioskPaired || len(token) < 40 {
		t.Fatalf("pair: %+v %q %v", paired, token, err)
	}
	if _, _, err := s.PairKiosk(ctx, code); !errors.Is(err, ErrBadPairingCode) {
		t.Fatalf("second pairing: %v", err)
	}
	got, err := s.KioskByToken(token)
	if err != nil || got.ID != k.ID || got.LocationID != loc.ID {
		t.Fatalf("by token: %+v %v", got, err)
	}
	screen, err := s.KioskScreen(got)
	if err != nil || screen.Location != "Main Street" || screen.Timezone != "Europe/London" || screen.Evacuation {
		t.Fatalf("screen %+v %v", screen, err)
	}

	// The store keeps only hashes.
	raw := kioskBucketsText(t, s)
	if strings.Contains(raw, token) || strings.Contains(raw, strings.ReplaceAll(code, "-", "")) {
		t.Fatal("the token or code is stored in clear")
	}

	if _, err := s.RevokeKiosk(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.KioskByToken(token); !errors.Is(err, ErrBadKey) {
		t.Fatalf("revoked token: %v", err)
	}
	again, err := s.RevokeKiosk(ctx, k.ID)
	if err != nil || again.Status != KioskRevoked {
		t.Fatalf("revoke twice: %+v %v", again, err)
	}

	// A code left unused for a day no longer pairs.
	_, late, err := s.CreateKiosk(ctx, KioskInput{Name: "Side door", LocationID: loc.ID})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(KioskPairingTTL + time.Second)
	if _, _, err := s.PairKiosk(ctx, late); !errors.Is(err, ErrBadPairingCode) {
		t.Fatalf("expired code: %v", err)
	}
	list, err := s.Kiosks()
	if err != nil || len(list) != 2 || list[0].Status != KioskRevoked || list[1].Status != KioskExpired {
		t.Fatalf("list %+v %v", list, err)
	}
}

func TestTheTestStoreHasNoKiosks(t *testing.T) {
	t.Parallel()
	s := openAt(t, filepath.Join(t.TempDir(), "test.db"), Options{Mode: Test})
	if _, _, err := s.CreateKiosk(t.Context(), KioskInput{Name: "Lobby", LocationID: 1}); err == nil {
		t.Fatal("a test store made a kiosk")
	}
	if _, _, err := s.PairKiosk(t.Context(), "ABCD-EFGH"); err == nil || errors.Is(err, ErrBadPairingCode) {
		t.Fatalf("a test store paired: %v", err)
	}
}

func kioskIsValidation(err error, fields ...string) bool {
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != len(fields) {
		return false
	}
	for i, f := range ve.Fields {
		if f.Field != fields[i] {
			return false
		}
	}
	return true
}

// digestBytes is every key and value of the kiosk buckets, as text.
func kioskBucketsText(t *testing.T, s *Store) string {
	t.Helper()
	var b strings.Builder
	err := s.view(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketKiosks, bucketKioskHashes} {
			if err := tx.Bucket(name).ForEach(func(k, v []byte) error {
				b.Write(k)
				b.Write(v)
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// During an evacuation the kiosk's screen says so, and a refused check-in
// says only that.
func TestAKioskKnowsOfAnEvacuation(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := t.Context()
	loc, err := s.CreateLocation(ctx, LocationInput{Name: "Main Street"})
	if err != nil {
		t.Fatal(err)
	}
	_, code, err := s.CreateKiosk(ctx, KioskInput{Name: "Lobby", LocationID: loc.ID})
	if err != nil {
		t.Fatal(err)
	}
	k, _, err := s.PairKiosk(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEvacuations).Put(keyActiveEvacuation, itob(1))
	}); err != nil {
		t.Fatal(err)
	}
	screen, err := s.KioskScreen(k)
	if err != nil || !screen.Evacuation {
		t.Fatalf("screen %+v %v", screen, err)
	}
	err = s.KioskRefusal(Conflict("an evacuation is in progress: nobody can check in until it ends"), "ABC234", loc.ID, true)
	var ce *ConflictError
	if !errors.As(err, &ce) || !strings.Contains(ce.Msg, "evacuation") {
		t.Fatalf("refusal %v", err)
	}
}
