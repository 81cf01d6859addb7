package store

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func visitorFixture(t *testing.T) (*Store, *testClock, uint64, uint64) {
	t.Helper()
	s, clock := openTestClock(t)
	ctx := context.Background()
	u, _, err := s.InviteUser(ctx, InviteInput{Name: "Hana Host", Email: "hana@example.com", Role: "front_desk"})
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := s.UpdateUser(ctx, u.ID, UserPatch{Host: &yes}); err != nil {
		t.Fatal(err)
	}
	loc, err := s.CreateLocation(ctx, LocationInput{Name: "Main", Timezone: "America/New_York", OpensAt: "08:00", ClosesAt: "18:00"})
	if err != nil {
		t.Fatal(err)
	}
	return s, clock, u.ID, loc.ID
}

func TestVisitorLifecycleAndCodes(t *testing.T) {
	s, clock, host, loc := visitorFixture(t)
	ctx := context.Background()
	// 2026-03-15 09:00 UTC; expected 2026-03-16 02:00 UTC is still the 15th in New York.
	at := time.Date(2026, 3, 16, 2, 0, 0, 0, time.UTC)
	v, code, err := s.PreRegisterVisitor(ctx, VisitorInput{Name: "Ada Lovelace", Company: "Analytical Engines", Email: "ada@engines.example",
		HostID: host, LocationID: loc, ExpectedAt: &at})
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != VisitorExpected || v.Date != "2026-03-15" || len(code) != 6 || strings.Trim(code, VisitorCodeAlphabet) != "" {
		t.Fatalf("pre-registered %+v code %q", v, code)
	}
	var ve *ValidationError
	if _, _, err := s.PreRegisterVisitor(ctx, VisitorInput{Name: "X", HostID: 99, LocationID: 99, ExpectedAt: &at}); !errors.As(err, &ve) || len(ve.Fields) != 2 {
		t.Fatalf("bad refs: %v", err)
	}
	if p, err := s.ListVisitors(ListQuery{Page: 1, PerPage: 10}, "analyt"); err != nil || p.Total != 1 {
		t.Fatalf("search: %+v %v", p, err)
	}
	if _, err := s.CheckOutVisitor(ctx, v.ID, ByDesk); !isConflict(err) {
		t.Fatalf("check-out before in: %v", err)
	}
	in, err := s.CheckInVisitorByCode(ctx, strings.ToLower(code), loc, ByKiosk)
	if err != nil || in.Status != VisitorCheckedIn {
		t.Fatalf("check-in: %+v %v", in, err)
	}
	if _, err := s.CheckInVisitorByCode(ctx, code, 0, ByKiosk); !isConflict(err) || !strings.Contains(err.Error(), "already been used") {
		t.Fatalf("code twice: %v", err)
	}
	clock.Advance(time.Hour)
	if n, err := s.CheckOutAtClosingTime(ctx); err != nil || n != 0 {
		t.Fatalf("closing early: %d %v", n, err)
	}
	// Checked in 09:00 UTC = 05:00 New York; closes 18:00 New York = 22:00 UTC.
	clock.Advance(12 * time.Hour) // 22:00 UTC
	if n, err := s.CheckOutAtClosingTime(ctx); err != nil || n != 1 {
		t.Fatalf("closing: %d %v", n, err)
	}
	raw, _ := s.Visitor(v.ID)
	var got Visitor
	json.Unmarshal(raw, &got)
	if got.Status != VisitorCheckedOut || got.CheckedOutBy != ByClosingTime {
		t.Fatalf("after closing %+v", got)
	}
	if _, err := s.CheckInVisitorByCode(ctx, code, 0, ByKiosk); !errors.Is(err, ErrNotFound) {
		t.Fatalf("code after check-out: %v", err)
	}
}

func isConflict(err error) bool {
	var c *ConflictError
	return errors.As(err, &c)
}

// Every visitor check-in passes the evacuation gate in its transaction:
// while one runs, check-in by id, by code and a walk-in are refused (409),
// and nothing is written; pre-registration is not a check-in.
func TestVisitorCheckInsAreRefusedDuringAnEvacuation(t *testing.T) {
	s, _, host, loc := visitorFixture(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 16, 14, 0, 0, 0, time.UTC)
	in := VisitorInput{Name: "Ada", HostID: host, LocationID: loc, ExpectedAt: &at}
	v, code, err := s.PreRegisterVisitor(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketEvacuations).Put(keyActiveEvacuation, itob(1)) }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CheckInVisitor(ctx, v.ID, ByDesk); !isConflict(err) || !strings.Contains(err.Error(), "evacuation") {
		t.Fatalf("check-in by id: %v", err)
	}
	if _, err := s.CheckInVisitorByCode(ctx, code, 0, ByKiosk); !isConflict(err) {
		t.Fatalf("check-in by code: %v", err)
	}
	if _, _, err := s.WalkInVisitor(ctx, VisitorInput{Name: "Bo", HostID: host, LocationID: loc}, ByKiosk); !isConflict(err) {
		t.Fatalf("walk-in: %v", err)
	}
	if _, _, err := s.PreRegisterVisitor(ctx, in); err != nil {
		t.Fatalf("pre-registration during an evacuation: %v", err)
	}
	if p, _ := s.ListVisitors(ListQuery{Page: 1, PerPage: 10, Filters: map[string]string{"status": VisitorCheckedIn}}, ""); p.Total != 0 {
		t.Fatalf("%d visitors in after refused check-ins", p.Total)
	}
}

// Codes are kept only as SHA-256 hashes, are distinct among live visits, and
// are dropped when the visit ends.
func TestVisitorCodesAreHashedUniqueAndDropped(t *testing.T) {
	s, _, host, loc := visitorFixture(t)
	ctx := context.Background()
	codes := map[string]uint64{}
	for i := range 200 {
		v, code, err := s.WalkInVisitor(ctx, VisitorInput{Name: "V", HostID: host, LocationID: loc}, ByKiosk)
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := codes[code]; dup {
			t.Fatalf("visitor %d got live code %s again", i, code)
		}
		codes[code] = v.ID
	}
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketVisitorCodes)
		for code, id := range codes {
			if got := b.Get(visitorCodeHash(code)); got == nil || btoi(got) != id {
				t.Fatalf("code of visitor %d not kept by its hash", id)
			}
		}
		return b.ForEach(func(k, v []byte) error {
			for code := range codes {
				if strings.Contains(string(k), code) || strings.Contains(string(v), code) {
					t.Fatalf("visitor_codes holds the code %s in clear", code)
				}
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	for code := range codes {
		if _, err := s.CheckOutVisitorByCode(ctx, code, loc, ByKiosk); err != nil {
			t.Fatal(err)
		}
	}
	s.view(func(tx *bolt.Tx) error {
		if n := tx.Bucket(bucketVisitorCodes).Stats().KeyN; n != 0 {
			t.Fatalf("%d code entries left after every visit ended", n)
		}
		return nil
	})
}
