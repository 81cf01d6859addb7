package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"portal/hooks"
	"portal/store"
)

// person is who a roll-call entry stands for.
type person struct {
	kind     string
	id       uint64
	location uint64
}

// onSite is the people a test put on site, and those it keeps away.
type onSite struct {
	people   map[person]string // → name
	host     uint64
	expected []uint64 // visitors pre-registered, not yet in
	codes    []string // their check-in codes
	approved []uint64 // contractors approved, not on site
}

// fillSite puts visitors, contractors and staff on site at the locations,
// in turns, through the store (the rules these calls follow have their own
// tests), plus people who are not on site: expected and left visitors,
// approved, pending and left contractors, absent staff.
func fillSite(t *testing.T, s *store.Store, locs []uint64, visitors, contractors, staff int) onSite {
	t.Helper()
	ctx := context.Background()
	out := onSite{people: map[person]string{}}
	host, _, err := s.InviteUser(ctx, store.InviteInput{Name: "Hana Host", Email: "hana@example.com", Role: "front_desk"})
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := s.UpdateUser(ctx, host.ID, store.UserPatch{Host: &yes}); err != nil {
		t.Fatal(err)
	}
	out.host = host.ID
	at := func(i int) uint64 { return locs[i%len(locs)] }
	for i := range visitors + 6 {
		in := store.VisitorInput{Name: fmt.Sprintf("Visitor %03d", i), Company: "Guests Ltd", HostID: host.ID, LocationID: at(i)}
		switch {
		case i >= visitors+3: // expected, not in
			when := start.Add(time.Hour)
			in.ExpectedAt = &when
			v, code, err := s.PreRegisterVisitor(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			out.expected, out.codes = append(out.expected, v.ID), append(out.codes, code)
		default:
			v, _, err := s.WalkInVisitor(ctx, in, "desk")
			if err != nil {
				t.Fatal(err)
			}
			if i >= visitors { // came and left
				if _, err := s.CheckOutVisitor(ctx, v.ID, "desk"); err != nil {
					t.Fatal(err)
				}
				continue
			}
			out.people[person{store.EvacueeVisitor, v.ID, v.LocationID}] = v.Name
		}
	}
	for i := range contractors + 6 {
		c, err := s.CreateContractor(ctx, store.ContractorInput{Company: fmt.Sprintf("Firm %d", i%7), Name: fmt.Sprintf("Contractor %03d", i),
			InductionExpiresOn: "2027-01-01", InsuranceExpiresOn: "2027-01-01"})
		if err != nil {
			t.Fatal(err)
		}
		if i >= contractors+4 { // pending
			continue
		}
		if _, err := s.ApproveContractor(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if i >= contractors+2 { // approved, not here today
			out.approved = append(out.approved, c.ID)
			continue
		}
		if _, err := s.CheckInContractor(ctx, c.ID, at(i)); err != nil {
			t.Fatal(err)
		}
		if i >= contractors { // came and left
			if _, err := s.CheckOutContractor(ctx, c.ID); err != nil {
				t.Fatal(err)
			}
			continue
		}
		out.people[person{store.EvacueeContractor, c.ID, at(i)}] = c.Name
	}
	for i := range staff + 3 {
		u, _, err := s.InviteUser(ctx, store.InviteInput{Name: fmt.Sprintf("Staff %03d", i), Email: fmt.Sprintf("staff%d@example.com", i), Role: "technician"})
		if err != nil {
			t.Fatal(err)
		}
		if i >= staff { // not in today
			continue
		}
		if _, err := s.SetPresence(ctx, u.ID, at(i)); err != nil {
			t.Fatal(err)
		}
		out.people[person{store.EvacueeStaff, u.ID, at(i)}] = u.Name
	}
	return out
}

// The proof: 200 people on site at two locations; the roll call
// holds exactly them; marking safe twice counts once; the counts and the
// summary are right; check-ins are refused while it runs and work after.
func TestEvacuationRollCallOfTwoHundredPeople(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	var main, annex store.Location
	c.post("/locations", map[string]any{"name": "Main Street", "timezone": "Europe/London"}).ok(http.StatusCreated, &main)
	c.post("/locations", map[string]any{"name": "Annex"}).ok(http.StatusCreated, &annex)
	c.get("/evacuation").fail(http.StatusNotFound, "NOT_FOUND")
	site := fillSite(t, ts.Live, []uint64{main.ID, annex.ID}, 80, 70, 50)
	if len(site.people) != 200 {
		t.Fatalf("%d people on site, want 200", len(site.people))
	}

	var ev store.Evacuation
	c.post("/evacuation/activate", nil).ok(http.StatusCreated, &ev)
	if ev.Status != store.EvacuationActive || ev.LocationID != 0 || !ev.ActivatedAt.Equal(start) || ev.EndedAt != nil || ev.Summary != nil {
		t.Fatalf("activated: %+v", ev)
	}
	checkRollCall(t, ev, site.people)
	checkCounts(t, ev, 200, 0, map[uint64][3]int{main.ID: {100, 0, 100}, annex.ID: {100, 0, 100}})
	conflictNaming(t, c.post("/evacuation/activate", map[string]any{"location_id": main.ID}), "already active")

	// Nobody checks in while it runs: contractors, visitors (by id, by
	// code, walking in); leaving is still allowed and keeps the roll call.
	conflictNaming(t, c.post(contractorPath(site.approved[0], "check-in"), map[string]any{"location_id": main.ID}), "evacuation")
	refusedVisitorCheckIns(t, c, site)
	var leaving store.Contractor
	for p := range site.people {
		if p.kind == store.EvacueeContractor {
			c.post(contractorPath(p.id, "check-out"), nil).ok(http.StatusOK, &leaving)
			break
		}
	}

	// Three in four marked safe, one in five of them twice.
	ts.Clock.Advance(90 * time.Second)
	safeAt := ts.Clock.Now()
	wantSafe := map[uint64][3]int{main.ID: {100, 0, 100}, annex.ID: {100, 0, 100}}
	marked := 0
	for i, e := range ev.Entries {
		if i%4 == 3 {
			continue
		}
		var got store.EvacuationEntry
		path := fmt.Sprintf("/evacuation/roll-call/%d/safe", e.ID)
		c.post(path, nil).ok(http.StatusOK, &got)
		if !got.Safe || got.SafeAt == nil || !got.SafeAt.Equal(safeAt) || got.ID != e.ID || got.Name != e.Name {
			t.Fatalf("marked safe: %+v", got)
		}
		if i%5 == 0 {
			ts.Clock.Advance(time.Second)
			var again store.EvacuationEntry
			c.post(path, nil).ok(http.StatusOK, &again)
			if !again.Safe || !again.SafeAt.Equal(safeAt) {
				t.Fatalf("marked safe twice: %+v, want the first mark kept", again)
			}
			ts.Clock.Advance(-time.Second)
		}
		marked++
		n := wantSafe[e.LocationID]
		wantSafe[e.LocationID] = [3]int{n[0], n[1] + 1, n[2] - 1}
	}
	c.post("/evacuation/roll-call/999999/safe", nil).fail(http.StatusNotFound, "NOT_FOUND")

	var now store.Evacuation
	c.get("/evacuation").ok(http.StatusOK, &now)
	checkRollCall(t, now, site.people) // the contractor who left is still on it
	checkCounts(t, now, 200, marked, wantSafe)
	if marked != 150 {
		t.Fatalf("marked %d, want 150", marked)
	}
	for i, e := range now.Entries {
		if e.Safe != (i%4 != 3) {
			t.Errorf("entry %d (%s): safe %v", e.ID, e.Name, e.Safe)
		}
	}

	ts.Clock.Advance(12 * time.Minute)
	var ended store.Evacuation
	c.post("/evacuation/end", nil).ok(http.StatusOK, &ended)
	if ended.Status != store.EvacuationEnded || ended.EndedAt == nil || ended.Summary == nil {
		t.Fatalf("ended: %+v", ended)
	}
	if s := *ended.Summary; s.Total != 200 || s.Safe != 150 || s.Unaccounted != 50 || s.DurationSeconds != 90+12*60 {
		t.Fatalf("summary %+v, want 200 total, 150 safe, 50 unaccounted, 810 s", s)
	}
	conflictNaming(t, c.post("/evacuation/end", nil), "No evacuation is active")
	conflictNaming(t, c.post(fmt.Sprintf("/evacuation/roll-call/%d/safe", ev.Entries[3].ID), nil), "ended")
	var last store.Evacuation
	c.get("/evacuation").ok(http.StatusOK, &last)
	if last.ID != ev.ID || last.Status != store.EvacuationEnded || last.Summary == nil || *last.Summary != *ended.Summary {
		t.Fatalf("GET /evacuation after the end: %+v", last)
	}
	checkCounts(t, last, 200, 150, wantSafe)

	// Each change fired its event once: person_safe once per person.
	counts := map[string]int{}
	var events []struct {
		Event string `json:"event"`
		Data  struct {
			EvacuationID uint64                 `json:"evacuation_id"`
			Evacuation   store.Evacuation       `json:"evacuation"`
			Entry        *store.EvacuationEntry `json:"entry"`
		} `json:"data"`
	}
	c.get("/events?event=evacuation.*&per_page=200").ok(http.StatusOK, &events)
	for _, e := range events {
		counts[e.Event]++
		d := e.Data.Evacuation
		if e.Data.EvacuationID != ev.ID || d.ID != ev.ID || d.Entries != nil || len(d.Locations) != 2 {
			t.Errorf("%s: evacuation %d, %+v; want %d, its counts per location and no roll call", e.Event, e.Data.EvacuationID, d, ev.ID)
		}
		switch e.Event {
		case "evacuation.activated":
			if d.Total != 200 || d.Unaccounted != 200 || d.Status != store.EvacuationActive {
				t.Errorf("evacuation.activated: %+v", d)
			}
		case "evacuation.person_safe":
			if e.Data.Entry == nil || !e.Data.Entry.Safe || d.Safe < 1 || d.Safe > 150 {
				t.Errorf("evacuation.person_safe: entry %+v, counts %+v", e.Data.Entry, d.EvacuationCounts)
			}
		case "evacuation.ended":
			if d.Summary == nil || *d.Summary != *ended.Summary || d.Status != store.EvacuationEnded {
				t.Errorf("evacuation.ended: %+v", d)
			}
		}
	}
	if counts["evacuation.activated"] != 1 || counts["evacuation.person_safe"] != 150 || counts["evacuation.ended"] != 1 {
		t.Fatalf("events %v, want 1 activated, 150 person_safe, 1 ended", counts)
	}

	// After the end, check-ins work again.
	c.post(contractorPath(site.approved[0], "check-in"), map[string]any{"location_id": main.ID}).ok(http.StatusOK, nil)
	c.post(contractorPath(leaving.ID, "check-in"), map[string]any{"location_id": annex.ID}).ok(http.StatusOK, nil)
	allowedVisitorCheckIns(t, c, site)

	// An evacuation of one location holds only who is there.
	c.post("/evacuation/activate", map[string]any{"location_id": 999}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "location_id")
	var annexOnly store.Evacuation
	c.post("/evacuation/activate", map[string]any{"location_id": annex.ID}).ok(http.StatusCreated, &annexOnly)
	if len(annexOnly.Locations) != 1 || annexOnly.Locations[0].LocationID != annex.ID || annexOnly.Locations[0].Name != "Annex" {
		t.Fatalf("locations of an annex evacuation: %+v", annexOnly.Locations)
	}
	for _, e := range annexOnly.Entries {
		if e.LocationID != annex.ID {
			t.Errorf("an annex evacuation lists %s at location %d", e.Name, e.LocationID)
		}
	}
	if annexOnly.Total < 100 || annexOnly.Total != len(annexOnly.Entries) || annexOnly.ID == ev.ID {
		t.Fatalf("annex evacuation: %d of %d entries, id %d", annexOnly.Total, len(annexOnly.Entries), annexOnly.ID)
	}
	c.post("/evacuation/end", nil).ok(http.StatusOK, nil)
}

// checkRollCall checks that the roll call holds exactly want, each once, by name.
func checkRollCall(t *testing.T, ev store.Evacuation, want map[person]string) {
	t.Helper()
	seen := map[person]bool{}
	for _, e := range ev.Entries {
		p := person{e.Kind, e.PersonID, e.LocationID}
		name, ok := want[p]
		switch {
		case !ok:
			t.Errorf("roll call lists %s %q (id %d at %d), who was not on site", e.Kind, e.Name, e.PersonID, e.LocationID)
		case seen[p]:
			t.Errorf("roll call lists %s %q twice", e.Kind, e.Name)
		case name != e.Name || e.EvacuationID != ev.ID:
			t.Errorf("entry %+v, want name %q of evacuation %d", e, name, ev.ID)
		}
		seen[p] = true
	}
	if len(ev.Entries) != len(want) || len(seen) != len(want) {
		t.Errorf("roll call holds %d entries (%d people), want %d", len(ev.Entries), len(seen), len(want))
	}
}

// checkCounts checks the totals and, per location, total, safe, unaccounted.
func checkCounts(t *testing.T, ev store.Evacuation, total, safe int, per map[uint64][3]int) {
	t.Helper()
	if ev.Total != total || ev.Safe != safe || ev.Unaccounted != total-safe {
		t.Errorf("counts %+v, want %d total, %d safe", ev.EvacuationCounts, total, safe)
	}
	if len(ev.Locations) != len(per) {
		t.Errorf("%d locations counted, want %d: %+v", len(ev.Locations), len(per), ev.Locations)
	}
	for _, l := range ev.Locations {
		if got := [3]int{l.Total, l.Safe, l.Unaccounted}; got != per[l.LocationID] {
			t.Errorf("location %d (%s): total, safe, unaccounted %v, want %v", l.LocationID, l.Name, got, per[l.LocationID])
		}
	}
}

// refusedVisitorCheckIns tries each way a visitor checks in during the
// evacuation, through the API: each is a 409 that names it.
func refusedVisitorCheckIns(t *testing.T, c *client, site onSite) {
	t.Helper()
	conflictNaming(t, c.post(fmt.Sprintf("/visitors/%d/check-in", site.expected[0]), nil), "evacuation")
	conflictNaming(t, c.post("/visitors/check-in", map[string]any{"code": site.codes[1]}), "evacuation")
	conflictNaming(t, c.post("/visitors", map[string]any{"name": "Late Walk-in", "host_id": site.host, "location_id": firstLocation(site)}), "evacuation")
}

// allowedVisitorCheckIns checks visitors in after the evacuation, each way.
func allowedVisitorCheckIns(t *testing.T, c *client, site onSite) {
	t.Helper()
	c.post(fmt.Sprintf("/visitors/%d/check-in", site.expected[0]), nil).ok(http.StatusOK, nil)
	c.post("/visitors/check-in", map[string]any{"code": site.codes[1]}).ok(http.StatusOK, nil)
	c.post("/visitors", map[string]any{"name": "Late Walk-in", "host_id": site.host, "location_id": firstLocation(site)}).ok(http.StatusCreated, nil)
}

func firstLocation(site onSite) uint64 {
	for p := range site.people {
		return p.location
	}
	return 0
}

// Check-ins racing an activation: each either lands before it, and is on
// the roll call, or is refused, and is not on site. None slips between.
func TestCheckInsRacingAnActivationAreOnTheRollCallOrRefused(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	var site store.Location
	c.post("/locations", map[string]any{"name": "Main Street"}).ok(http.StatusCreated, &site)
	ctx := context.Background()
	const n = 24
	ids := make([]uint64, n)
	for i := range ids {
		k, err := ts.Live.CreateContractor(ctx, store.ContractorInput{Company: "Racers", Name: fmt.Sprintf("Racer %02d", i),
			InductionExpiresOn: "2027-01-01", InsuranceExpiresOn: "2027-01-01"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ts.Live.ApproveContractor(ctx, k.ID); err != nil {
			t.Fatal(err)
		}
		ids[i] = k.ID
	}
	statuses := make(chan [2]uint64, n)
	go0 := make(chan struct{})
	done := make(chan struct{})
	for _, id := range ids {
		go func() {
			<-go0
			res := c.post(contractorPath(id, "check-in"), map[string]any{"location_id": site.ID})
			statuses <- [2]uint64{id, uint64(res.Status)}
		}()
	}
	var ev store.Evacuation
	go func() {
		defer close(done)
		<-go0
		res := c.post("/evacuation/activate", nil)
		if res.Status == http.StatusCreated {
			res.ok(http.StatusCreated, &ev)
		}
	}()
	close(go0)
	<-done
	onRollCall := map[uint64]bool{}
	for _, e := range ev.Entries {
		onRollCall[e.PersonID] = true
	}
	in := 0
	for range n {
		s := <-statuses
		var k store.Contractor
		c.get(contractorPath(s[0], "")).ok(http.StatusOK, &k)
		switch s[1] {
		case http.StatusOK:
			in++
			if !onRollCall[s[0]] {
				t.Errorf("contractor %d checked in but is not on the roll call", s[0])
			}
		case http.StatusConflict:
			if k.OnSiteLocationID != 0 || onRollCall[s[0]] {
				t.Errorf("contractor %d was refused, yet is on site (%d) or on the roll call (%v)", s[0], k.OnSiteLocationID, onRollCall[s[0]])
			}
		default:
			t.Errorf("contractor %d check-in: status %d", s[0], s[1])
		}
	}
	if ev.ID == 0 || len(ev.Entries) != in {
		t.Fatalf("roll call of %d, %d checked in (evacuation %d)", len(ev.Entries), in, ev.ID)
	}
}

// A webhook's "Send test" shows the contractor and the evacuation as real
// events carry them: the same fields, in the same order.
func TestSampleEventsOfTheDeskHaveTheRealShape(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	var k store.Contractor
	c.post("/contractors", map[string]any{"company": "Acme", "name": "Jo", "induction_expires_on": "2027-01-01", "insurance_expires_on": "2027-01-01"}).ok(http.StatusCreated, &k)
	c.post(contractorPath(k.ID, "approve"), nil).ok(http.StatusOK, nil)
	c.post("/evacuation/activate", nil).ok(http.StatusCreated, nil)
	for _, name := range []string{"contractor.approved", "evacuation.activated"} {
		var events []struct {
			Data json.RawMessage `json:"data"`
		}
		c.get("/events?event="+name).ok(http.StatusOK, &events)
		if len(events) != 1 {
			t.Fatalf("%d %s events", len(events), name)
		}
		resource, _, _ := strings.Cut(name, ".")
		real, sample := events[0].Data, hooks.SampleData(name)
		if got, want := strings.Join(objectKeys(t, sample), ","), strings.Join(objectKeys(t, real), ","); got != want {
			t.Errorf("%s sample data has %s, real events %s", name, got, want)
		}
		got := strings.Join(objectKeys(t, mustField(t, sample, resource)), ",")
		if want := strings.Join(objectKeys(t, mustField(t, real, resource)), ","); got != want {
			t.Errorf("%s sample %s has %s, real events %s", name, resource, got, want)
		}
	}
}
