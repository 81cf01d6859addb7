package store

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
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
