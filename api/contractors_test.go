package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"portal/store"
)

// contractorPath names one contractor's routes.
func contractorPath(id uint64, action string) string {
	if action == "" {
		return fmt.Sprintf("/contractors/%d", id)
	}
	return fmt.Sprintf("/contractors/%d/%s", id, action)
}

// conflictNaming checks a 409 whose message names each of want.
func conflictNaming(t *testing.T, r *response, want ...string) string {
	t.Helper()
	e := r.fail(http.StatusConflict, "CONFLICT")
	for _, w := range want {
		if !strings.Contains(e.Message, w) {
			t.Errorf("%s: message %q does not say %q", r.req, e.Message, w)
		}
	}
	return e.Message
}

func TestContractorInputIsValidatedFieldByField(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": "Jo"}, "company"},
		{map[string]any{"company": "Acme", "name": "  "}, "name"},
		{map[string]any{"company": "Acme", "name": "Jo", "email": "jo@"}, "email"},
		{map[string]any{"company": "Acme", "name": "Jo", "phone": "call me"}, "phone"},
		{map[string]any{"company": "Acme", "name": "Jo", "induction_expires_on": "2026-13-01"}, "induction_expires_on"},
		{map[string]any{"company": "Acme", "name": "Jo", "insurance_expires_on": "15/03/2027"}, "insurance_expires_on"},
		{map[string]any{"company": "Acme", "name": "Jo", "insurance_expires_on": "2027-03-15T00:00:00Z"}, "insurance_expires_on"},
		{map[string]any{"company": "Acme", "name": "Jo", "status": "approved"}, "status"},
	} {
		c.post("/contractors", bad.body).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", bad.field)
	}
	var jo store.Contractor
	c.post("/contractors", map[string]any{"company": " Acme Electrics ", "name": "Jo Bloggs", "email": "jo@acme.example.com"}).ok(http.StatusCreated, &jo)
	if jo.Status != store.ContractorPending || jo.Company != "Acme Electrics" || jo.OnSiteLocationID != 0 {
		t.Fatalf("created %+v", jo)
	}
	c.patch(contractorPath(jo.ID, ""), map[string]any{"insurance_expires_on": "2027-02-30"}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "insurance_expires_on")
	c.patch(contractorPath(jo.ID, ""), map[string]any{"company": ""}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "company")
	c.patch(contractorPath(999, ""), map[string]any{"name": "X"}).fail(http.StatusNotFound, "NOT_FOUND")
	var got store.Contractor
	c.get(contractorPath(jo.ID, "")).ok(http.StatusOK, &got)
	if got.InsuranceExpiresOn != "" || got.Company != "Acme Electrics" {
		t.Fatalf("a refused patch changed the contractor: %+v", got)
	}
	var list []store.Contractor
	c.get("/contractors?status=pending").ok(http.StatusOK, &list)
	if len(list) != 1 || list[0].ID != jo.ID {
		t.Fatalf("pending: %+v", list)
	}
	c.get("/contractors?status=active").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "status")
}

// Approval needs both dates on file and not expired on the shop's today;
// the 409 names the date.
func TestContractorApprovalNeedsBothDatesCurrent(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	var jo store.Contractor
	c.post("/contractors", map[string]any{"company": "Acme", "name": "Jo"}).ok(http.StatusCreated, &jo)
	approve := contractorPath(jo.ID, "approve")

	conflictNaming(t, c.post(approve, nil), "induction_expires_on", "insurance_expires_on", "missing")
	c.patch(contractorPath(jo.ID, ""), map[string]any{"induction_expires_on": "2027-01-31"}).ok(http.StatusOK, nil)
	if msg := conflictNaming(t, c.post(approve, nil), "insurance_expires_on", "missing"); strings.Contains(msg, "induction") {
		t.Errorf("the induction is on file, yet %q names it", msg)
	}
	// The clock reads 2026-03-15: the 14th is over, the 15th is still valid.
	c.patch(contractorPath(jo.ID, ""), map[string]any{"insurance_expires_on": "2026-03-14"}).ok(http.StatusOK, nil)
	conflictNaming(t, c.post(approve, nil), "insurance_expires_on", "expired", "2026-03-14")
	c.patch(contractorPath(jo.ID, ""), map[string]any{"insurance_expires_on": "2026-03-15"}).ok(http.StatusOK, nil)
	var approved store.Contractor
	c.post(approve, nil).ok(http.StatusOK, &approved)
	if approved.Status != store.ContractorApproved {
		t.Fatalf("approved: %+v", approved)
	}
	conflictNaming(t, c.post(approve, nil), "already approved")
	c.post(contractorPath(999, "approve"), nil).fail(http.StatusNotFound, "NOT_FOUND")

	// Rejected with a reason, and approved again.
	var rejected store.Contractor
	c.post(contractorPath(jo.ID, "reject"), map[string]any{"reason": "Insurance certificate is a copy"}).ok(http.StatusOK, &rejected)
	if rejected.Status != store.ContractorRejected || rejected.RejectionReason != "Insurance certificate is a copy" {
		t.Fatalf("rejected: %+v", rejected)
	}
	conflictNaming(t, c.post(contractorPath(jo.ID, "reject"), nil), "already rejected")
	c.post(contractorPath(jo.ID, "reject"), map[string]any{"reason": strings.Repeat("x", 501)}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "reason")
	c.post(approve, nil).ok(http.StatusOK, &approved)
	if approved.Status != store.ContractorApproved || approved.RejectionReason != "" {
		t.Fatalf("approved again: %+v", approved)
	}

	var events []struct {
		Event string `json:"event"`
		Data  struct {
			ContractorID uint64 `json:"contractor_id"`
			Reason       string `json:"reason"`
		} `json:"data"`
	}
	c.get("/events?event=contractor.*").ok(http.StatusOK, &events) // newest first
	var names []string
	for _, e := range events {
		names = append(names, e.Event)
		if e.Data.ContractorID != jo.ID {
			t.Errorf("%s names contractor %d", e.Event, e.Data.ContractorID)
		}
	}
	want := "contractor.approved contractor.rejected contractor.approved contractor.updated contractor.updated contractor.updated contractor.created"
	if strings.Join(names, " ") != want {
		t.Fatalf("events %v, want %s", names, want)
	}
	if events[1].Data.Reason != "Insurance certificate is a copy" {
		t.Errorf("contractor.rejected carries reason %q", events[1].Data.Reason)
	}
}

// Check-in takes an approved contractor whose dates are current on the
// location's today; as the clock moves past an expiry the same contractor
// is refused, naming the date, and a new date lets them in again without a
// new approval.
func TestContractorCheckInChecksTheDatesAsTheClockMoves(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	var site, auckland store.Location
	c.post("/locations", map[string]any{"name": "Main Street", "timezone": "Europe/London"}).ok(http.StatusCreated, &site)
	c.post("/locations", map[string]any{"name": "Auckland", "timezone": "Pacific/Auckland"}).ok(http.StatusCreated, &auckland)
	var jo store.Contractor
	c.post("/contractors", map[string]any{"company": "Acme", "name": "Jo",
		"induction_expires_on": "2026-12-31", "insurance_expires_on": "2026-03-16"}).ok(http.StatusCreated, &jo)
	checkIn := func(loc uint64) *response {
		return c.post(contractorPath(jo.ID, "check-in"), map[string]any{"location_id": loc})
	}
	conflictNaming(t, checkIn(site.ID), "pending", "approved")
	c.post(contractorPath(jo.ID, "approve"), nil).ok(http.StatusOK, nil)

	checkIn(0).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "location_id")
	checkIn(999).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "location_id")
	c.post(contractorPath(jo.ID, "check-in"), map[string]any{}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "location_id")
	c.post(contractorPath(999, "check-in"), map[string]any{"location_id": site.ID}).fail(http.StatusNotFound, "NOT_FOUND")

	var in store.Contractor
	checkIn(site.ID).ok(http.StatusOK, &in)
	if in.OnSiteLocationID != site.ID || in.CheckedInAt == nil || !in.CheckedInAt.Equal(start) {
		t.Fatalf("checked in: %+v", in)
	}
	conflictNaming(t, checkIn(site.ID), "already on site")
	var out store.Contractor
	c.post(contractorPath(jo.ID, "check-out"), nil).ok(http.StatusOK, &out)
	if out.OnSiteLocationID != 0 || out.CheckedInAt != nil {
		t.Fatalf("checked out: %+v", out)
	}
	conflictNaming(t, c.post(contractorPath(jo.ID, "check-out"), nil), "not on site")

	// 2026-03-16 14:22 UTC: London's 16th (the last valid day), Auckland's 17th.
	ts.Clock.Advance(24 * time.Hour)
	conflictNaming(t, checkIn(auckland.ID), "insurance_expires_on", "expired")
	checkIn(site.ID).ok(http.StatusOK, nil)
	c.post(contractorPath(jo.ID, "check-out"), nil).ok(http.StatusOK, nil)

	// A day later the insurance has expired everywhere; the approval stands.
	ts.Clock.Advance(24 * time.Hour)
	msg := conflictNaming(t, checkIn(site.ID), "insurance_expires_on", "expired on 2026-03-16")
	if strings.Contains(msg, "induction") {
		t.Errorf("the induction is current, yet %q names it", msg)
	}
	var renewed store.Contractor
	c.patch(contractorPath(jo.ID, ""), map[string]any{"insurance_expires_on": "2027-03-16"}).ok(http.StatusOK, &renewed)
	if renewed.Status != store.ContractorApproved {
		t.Fatalf("a new date undid the approval: %+v", renewed)
	}
	checkIn(site.ID).ok(http.StatusOK, nil)
	c.post(contractorPath(jo.ID, "check-out"), nil).ok(http.StatusOK, nil)

	// A date cleared after approval: the approval stands, check-in names the date.
	c.patch(contractorPath(jo.ID, ""), map[string]any{"induction_expires_on": ""}).ok(http.StatusOK, nil)
	conflictNaming(t, checkIn(site.ID), "induction_expires_on", "missing")

	// A rejected contractor cannot check in.
	c.post(contractorPath(jo.ID, "reject"), map[string]any{"reason": "left the firm"}).ok(http.StatusOK, nil)
	conflictNaming(t, checkIn(site.ID), "rejected")

	var events []struct {
		Event string `json:"event"`
		Data  struct {
			LocationID uint64 `json:"location_id"`
		} `json:"data"`
	}
	c.get("/events?event=contractor.*").ok(http.StatusOK, &events)
	visits := 0
	for _, e := range events {
		if !strings.HasPrefix(e.Event, "contractor.checked_") {
			continue
		}
		if visits++; e.Data.LocationID != site.ID {
			t.Errorf("%s names location %d, want %d", e.Event, e.Data.LocationID, site.ID)
		}
	}
	if visits != 6 {
		t.Errorf("%d check-in and check-out events, want 6", visits)
	}
}

// With X-API-Key the contractors' and the evacuation's routes answer in
// Porter's shape; with a Bearer token in our envelope.
func TestContractorsAndEvacuationInPortersShape(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	porter := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"contractors.read", "contractors.write",
		"evacuation.read", "evacuation.write", "locations.write"}, Tier: "standard"}).withHeader("X-API-Key")
	var site store.Location
	c.post("/locations", map[string]any{"name": "Main Street"}).ok(http.StatusCreated, &site)
	var one struct {
		Contractor store.Contractor `json:"contractor"`
	}
	res := porter.post("/contractors", map[string]any{"company": "Acme", "name": "Jo", "induction_expires_on": "2027-01-01", "insurance_expires_on": "2027-01-01"})
	if res.Status != http.StatusCreated || json.Unmarshal(res.Body, &one) != nil || one.Contractor.ID == 0 {
		t.Fatalf("create in Porter's shape: %d %s", res.Status, res.Body)
	}
	res = porter.get("/contractors")
	if keys := strings.Join(res.keys(), ","); res.Status != http.StatusOK || keys != "contractors,page,per_page,total" {
		t.Fatalf("list in Porter's shape: %d keys %s\n%s", res.Status, keys, res.Body)
	}
	res = porter.post(contractorPath(one.Contractor.ID, "check-in"), map[string]any{"location_id": site.ID})
	if keys := strings.Join(res.keys(), ","); res.Status != http.StatusConflict || keys != "error" || !strings.Contains(string(res.Body), "pending") {
		t.Fatalf("a refused check-in in Porter's shape: %d %s", res.Status, res.Body)
	}
	porter.post(contractorPath(one.Contractor.ID, "approve"), nil)
	porter.post(contractorPath(one.Contractor.ID, "check-in"), map[string]any{"location_id": site.ID})
	var evac struct {
		Evacuation store.Evacuation `json:"evacuation"`
	}
	res = porter.post("/evacuation/activate", nil)
	if res.Status != http.StatusCreated || json.Unmarshal(res.Body, &evac) != nil || len(evac.Evacuation.Entries) != 1 {
		t.Fatalf("activate in Porter's shape: %d %s", res.Status, res.Body)
	}
	var safe struct {
		Entry store.EvacuationEntry `json:"entry"`
	}
	res = porter.post(fmt.Sprintf("/evacuation/roll-call/%d/safe", evac.Evacuation.Entries[0].ID), nil)
	if res.Status != http.StatusOK || json.Unmarshal(res.Body, &safe) != nil || !safe.Entry.Safe {
		t.Fatalf("mark safe in Porter's shape: %d %s", res.Status, res.Body)
	}
	c.get("/evacuation").ok(http.StatusOK, nil) // Bearer: our envelope
}
