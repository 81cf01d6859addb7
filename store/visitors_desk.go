package store

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// The visitor desk's writes: pre-registration, walk-in, check-in and
// check-out (by id or by code), cancellation, and the automatic check-out at
// each location's closing time. Every change records its visitor.* event in
// the same transaction, with the visitor (never its code) in the data.

var bucketVisitorSearch = []byte("search_visitors") // token postings (postings.go)

var visitorSearch = &tokenIndex{bucketVisitorSearch, visitors.records}

// Who checked a visitor in or out ("by").
const (
	ByDesk        = "desk"
	ByKiosk       = "kiosk"
	ByClosingTime = "closing_time"
)

// VisitorInput pre-registers or walks in a visitor.
type VisitorInput struct {
	Name          string     `json:"name"`
	Email         string     `json:"email"`
	Phone         string     `json:"phone"`
	Company       string     `json:"company"`
	HostID        uint64     `json:"host_id"`
	LocationID    uint64     `json:"location_id"`
	Purpose       string     `json:"purpose"`
	Notes         string     `json:"notes"`
	ExpectedAt    *time.Time `json:"expected_at"`
	ExpectedUntil *time.Time `json:"expected_until"`
}

// tokens are what visitor search matches: words of the name and company, the
// email whole and its parts.
func (v *Visitor) tokens() []string {
	set := tokenSet{}
	set.words(v.Name + " " + v.Company)
	if e := strings.ToLower(v.Email); e != "" {
		local, domain, _ := strings.Cut(e, "@")
		set.add(e, local, domain)
	}
	return set.list()
}

// validate checks the fields that need no transaction; expected says the
// expected arrival is required (pre-registration).
func (in *VisitorInput) validate(p *Problems, expected bool) {
	in.Name, in.Email, in.Phone = strings.TrimSpace(in.Name), strings.TrimSpace(in.Email), strings.TrimSpace(in.Phone)
	in.Company, in.Purpose, in.Notes = strings.TrimSpace(in.Company), strings.TrimSpace(in.Purpose), strings.TrimSpace(in.Notes)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 120 {
		p.Add("name", "is required (1 to 120 characters)")
	}
	if in.Email != "" && (len(in.Email) > 254 || !validEmail(in.Email)) {
		p.Add("email", "must be a valid email address")
	}
	if in.Phone != "" && !validPhone(in.Phone) {
		p.Add("phone", "must be a phone number (digits, spaces, + - ( ) .)")
	}
	if utf8.RuneCountInString(in.Company) > 120 {
		p.Add("company", "must be at most 120 characters")
	}
	if utf8.RuneCountInString(in.Purpose) > 500 {
		p.Add("purpose", "must be at most 500 characters")
	}
	if utf8.RuneCountInString(in.Notes) > 10000 {
		p.Add("notes", "must be at most 10000 characters")
	}
	if in.HostID == 0 {
		p.Add("host_id", "is required: the id of the staff member being visited")
	}
	if in.LocationID == 0 {
		p.Add("location_id", "is required: the id of the location visited")
	}
	if expected && in.ExpectedAt == nil {
		p.Add("expected_at", "is required: when the visitor is expected (RFC 3339)")
	}
	if in.ExpectedUntil != nil && in.ExpectedAt == nil {
		p.Add("expected_at", "is required when expected_until is given")
	}
	if in.ExpectedAt != nil && in.ExpectedUntil != nil && !in.ExpectedUntil.After(*in.ExpectedAt) {
		p.Add("expected_until", "must be after expected_at")
	}
}

// checkRefs checks the host and location inside the transaction, adding to
// p, and returns the location.
func checkVisitRefs(tx *bolt.Tx, in *VisitorInput, p *Problems) *Location {
	if in.HostID != 0 {
		host, err := getRecord[userRecord](tx, bucketUsers, in.HostID, "user")
		if err != nil || !host.Active || !host.Host {
			p.Add("host_id", "must be an active staff member who receives visitors (host)")
		}
	}
	if in.LocationID != 0 {
		loc, err := getRecord[Location](tx, locations.records, in.LocationID, "location")
		if err != nil {
			p.Add("location_id", "must be an existing location")
			return nil
		}
		return loc
	}
	return nil
}

// localDate is t's date in the location's time zone.
func localDate(loc *Location, t time.Time) string {
	tz, err := time.LoadLocation(loc.Timezone)
	if err != nil {
		tz = time.UTC
	}
	return t.In(tz).Format(time.DateOnly)
}

// PreRegisterVisitor adds an expected visitor and returns their check-in
// code, shown this once (only its hash is kept).
func (s *Store) PreRegisterVisitor(ctx context.Context, in VisitorInput) (Visitor, string, error) {
	return s.addVisitor(ctx, in, "")
}

// WalkInVisitor adds a visitor checked in at once (by "desk" or "kiosk") and
// returns the code on their badge, which checks them out.
func (s *Store) WalkInVisitor(ctx context.Context, in VisitorInput, by string) (Visitor, string, error) {
	return s.addVisitor(ctx, in, by)
}

// addVisitor is PreRegisterVisitor (by "") and WalkInVisitor.
func (s *Store) addVisitor(ctx context.Context, in VisitorInput, by string) (Visitor, string, error) {
	var p Problems
	in.validate(&p, by == "")
	if err := p.Err(); err != nil {
		return Visitor{}, "", err
	}
	var out Visitor
	var code string
	err := s.update(ctx, func(tx *bolt.Tx) error {
		var p Problems
		loc := checkVisitRefs(tx, &in, &p)
		if err := p.Err(); err != nil {
			return err
		}
		if by != "" {
			if err := refuseDuringEvacuation(tx); err != nil {
				return err
			}
			if err := refuseOverCapacity(tx, loc); err != nil {
				return err
			}
		}
		id, err := tx.Bucket(visitors.records).NextSequence()
		if err != nil {
			return err
		}
		now := s.clock()
		v := Visitor{ID: id, Name: in.Name, Email: in.Email, Phone: in.Phone, Company: in.Company, HostID: in.HostID,
			LocationID: in.LocationID, Purpose: in.Purpose, Notes: in.Notes, Status: VisitorExpected,
			ExpectedAt: utcPtr(in.ExpectedAt), ExpectedUntil: utcPtr(in.ExpectedUntil), CreatedAt: now, UpdatedAt: now}
		event := "visitor.pre_registered"
		if by != "" {
			v.Status, v.CheckedInAt, event = VisitorCheckedIn, &now, "visitor.checked_in"
		}
		if v.ExpectedAt != nil {
			v.Date = localDate(loc, *v.ExpectedAt)
		} else {
			v.Date = localDate(loc, now)
		}
		c, err := newVisitorCode(tx, id)
		if err != nil {
			return err
		}
		if err := putVisitor(tx, nil, &v); err != nil {
			return err
		}
		out, code = v, c
		_, err = s.appendEvent(tx, event, visitorEventData(v, by))
		return err
	})
	if err != nil {
		return Visitor{}, "", err
	}
	return out, code, nil
}

func visitorEventData(v Visitor, by string) ordered {
	d := ordered{}.with("visitor_id", v.ID).with("host_id", v.HostID).with("location_id", v.LocationID)
	if by != "" {
		d = d.with("by", by)
	}
	return d.with("visitor", v)
}

// putVisitor writes the record with its indexes and search tokens.
func putVisitor(tx *bolt.Tx, old, v *Visitor) error {
	var oldTokens []string
	if old != nil {
		oldTokens = old.tokens()
	}
	if err := setTokens(tx.Bucket(bucketVisitorSearch), v.ID, oldTokens, v.tokens()); err != nil {
		return err
	}
	return visitors.put(tx, v.ID, old, v)
}

// CheckInVisitor checks in an expected visitor (by "desk" or "kiosk").
func (s *Store) CheckInVisitor(ctx context.Context, id uint64, by string) (Visitor, error) {
	var out Visitor
	err := s.update(ctx, func(tx *bolt.Tx) error {
		v, err := getRecord[Visitor](tx, visitors.records, id, "visitor")
		if err != nil {
			return err
		}
		out, err = s.checkIn(tx, v, by)
		return err
	})
	return out, err
}

// CheckInVisitorByCode checks in the expected visitor whose code this is; a
// locationID other than 0 must be their location.
func (s *Store) CheckInVisitorByCode(ctx context.Context, code string, locationID uint64, by string) (Visitor, error) {
	var out Visitor
	err := s.update(ctx, func(tx *bolt.Tx) error {
		v, err := visitorByCode(tx, code, locationID)
		if err != nil {
			return err
		}
		if v.Status == VisitorCheckedIn {
			return Conflict("this code has already been used: %s checked in at %s", v.Name, v.CheckedInAt.Format(time.RFC3339))
		}
		out, err = s.checkIn(tx, v, by)
		return err
	})
	return out, err
}

func (s *Store) checkIn(tx *bolt.Tx, v *Visitor, by string) (Visitor, error) {
	switch v.Status {
	case VisitorCheckedIn:
		return Visitor{}, Conflict("visitor %d is already checked in (since %s)", v.ID, v.CheckedInAt.Format(time.RFC3339))
	case VisitorCheckedOut:
		return Visitor{}, Conflict("visitor %d has already checked out; pre-register a new visit", v.ID)
	case VisitorCancelled:
		return Visitor{}, Conflict("visitor %d's visit was cancelled", v.ID)
	}
	if err := refuseDuringEvacuation(tx); err != nil {
		return Visitor{}, err
	}
	loc, err := getRecord[Location](tx, locations.records, v.LocationID, "location")
	if err != nil {
		return Visitor{}, err
	}
	if err := refuseOverCapacity(tx, loc); err != nil {
		return Visitor{}, err
	}
	old := *v
	now := s.clock()
	v.Status, v.CheckedInAt, v.UpdatedAt = VisitorCheckedIn, &now, now
	if v.Date == "" { // expected visits have theirs
		v.Date = localDate(loc, now)
	}
	if err := putVisitor(tx, &old, v); err != nil {
		return Visitor{}, err
	}
	_, err = s.appendEvent(tx, "visitor.checked_in", visitorEventData(*v, by))
	return *v, err
}

// CheckOutVisitor checks out a visitor who is in (409 otherwise).
func (s *Store) CheckOutVisitor(ctx context.Context, id uint64, by string) (Visitor, error) {
	var out Visitor
	err := s.update(ctx, func(tx *bolt.Tx) error {
		v, err := getRecord[Visitor](tx, visitors.records, id, "visitor")
		if err != nil {
			return err
		}
		out, err = s.checkOut(tx, v, by)
		return err
	})
	return out, err
}

// CheckOutVisitorByCode checks out the visitor whose (badge) code this is.
func (s *Store) CheckOutVisitorByCode(ctx context.Context, code string, locationID uint64, by string) (Visitor, error) {
	var out Visitor
	err := s.update(ctx, func(tx *bolt.Tx) error {
		v, err := visitorByCode(tx, code, locationID)
		if err != nil {
			return err
		}
		out, err = s.checkOut(tx, v, by)
		return err
	})
	return out, err
}

func (s *Store) checkOut(tx *bolt.Tx, v *Visitor, by string) (Visitor, error) {
	if v.Status != VisitorCheckedIn {
		return Visitor{}, Conflict("visitor %d is not checked in (status %s)", v.ID, v.Status)
	}
	old := *v
	now := s.clock()
	v.Status, v.CheckedOutAt, v.CheckedOutBy, v.UpdatedAt = VisitorCheckedOut, &now, by, now
	if err := dropVisitorCode(tx, v.ID); err != nil {
		return Visitor{}, err
	}
	if err := putVisitor(tx, &old, v); err != nil {
		return Visitor{}, err
	}
	_, err := s.appendEvent(tx, "visitor.checked_out", visitorEventData(*v, by))
	return *v, err
}

// CancelVisitor cancels an expected visit; its code stops working.
func (s *Store) CancelVisitor(ctx context.Context, id uint64) (Visitor, error) {
	var out Visitor
	err := s.update(ctx, func(tx *bolt.Tx) error {
		v, err := getRecord[Visitor](tx, visitors.records, id, "visitor")
		if err != nil {
			return err
		}
		if v.Status != VisitorExpected {
			return Conflict("only an expected visit can be cancelled; visitor %d is %s", v.ID, strings.ReplaceAll(v.Status, "_", " "))
		}
		old := *v
		v.Status, v.UpdatedAt = VisitorCancelled, s.clock()
		if err := dropVisitorCode(tx, v.ID); err != nil {
			return err
		}
		if err := putVisitor(tx, &old, v); err != nil {
			return err
		}
		out = *v
		_, err = s.appendEvent(tx, "visitor.cancelled", visitorEventData(*v, ""))
		return err
	})
	return out, err
}

// Visitor returns one visitor's JSON.
func (s *Store) Visitor(id uint64) (json.RawMessage, error) {
	return s.raw(visitors.records, id, "visitor")
}

// ListVisitors pages the visitors; search (q=) matches every word as a
// prefix of the name's or company's words or of the email, and the list's
// filters narrow the hits.
func (s *Store) ListVisitors(q ListQuery, search string) (Page, error) {
	var page Page
	err := s.view(func(tx *bolt.Tx) error {
		if strings.TrimSpace(search) == "" {
			var err error
			page, err = visitors.list(tx, q)
			return err
		}
		filters, err := visitors.encodeFilters(q.Filters)
		if err != nil {
			return err
		}
		var keep func(id uint64) bool
		if len(filters) > 0 {
			post := visitors.postFilter(filters, -1)
			keep = func(id uint64) bool { return post(visitors.filterTuple(tx, id)) }
		}
		page, err = visitorSearch.search(tx, search, q, keep)
		return err
	})
	return page, err
}

// visitorsOnSite lists the visitors checked in now.
func visitorsOnSite(tx *bolt.Tx) ([]Visitor, error) {
	out := []Visitor{}
	var ids []uint64
	if err := visitors.eachID(tx, "status", []byte(VisitorCheckedIn), func(id uint64) error {
		ids = append(ids, id)
		return nil
	}); err != nil {
		return nil, err
	}
	for _, id := range ids {
		v, err := getRecord[Visitor](tx, visitors.records, id, "visitor")
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, nil
}

// VisitorsOnSite lists the visitors checked in now (the desk's and the
// evacuation's view).
func (s *Store) VisitorsOnSite() ([]Visitor, error) {
	var out []Visitor
	err := s.view(func(tx *bolt.Tx) (err error) {
		out, err = visitorsOnSite(tx)
		return err
	})
	return out, err
}

// closingTime is the location's closing time on the local day of t, or,
// when t is at or after it, on the next day; ok is false when the location
// has no closing time.
func closingTime(loc *Location, t time.Time) (time.Time, bool) {
	if loc.ClosesAt == "" {
		return time.Time{}, false
	}
	hm, err := time.Parse("15:04", loc.ClosesAt)
	if err != nil {
		return time.Time{}, false
	}
	tz, err := time.LoadLocation(loc.Timezone)
	if err != nil {
		tz = time.UTC
	}
	local := t.In(tz)
	closes := time.Date(local.Year(), local.Month(), local.Day(), hm.Hour(), hm.Minute(), 0, 0, tz)
	if !t.Before(closes) { // checked in after hours: the visit ends at the next closing
		closes = time.Date(local.Year(), local.Month(), local.Day()+1, hm.Hour(), hm.Minute(), 0, 0, tz)
	}
	return closes, true
}

// CheckOutAtClosingTime checks out, by "closing_time", every visitor still
// in whose location has closed since they checked in (the location's
// closes_at in its time zone, on the local day of the check-in, or the next
// day for a check-in after hours), by the store's clock. It returns how
// many it checked out. The serving process runs it every minute.
func (s *Store) CheckOutAtClosingTime(ctx context.Context) (int, error) {
	due := func(tx *bolt.Tx) ([]Visitor, error) {
		onSite, err := visitorsOnSite(tx)
		if err != nil {
			return nil, err
		}
		now := s.clock()
		locs := map[uint64]*Location{}
		var out []Visitor
		for _, v := range onSite {
			loc, ok := locs[v.LocationID]
			if !ok {
				loc, _ = getRecord[Location](tx, locations.records, v.LocationID, "location")
				locs[v.LocationID] = loc
			}
			if loc == nil || v.CheckedInAt == nil {
				continue
			}
			if closes, ok := closingTime(loc, *v.CheckedInAt); ok && !now.Before(closes) {
				out = append(out, v)
			}
		}
		return out, nil
	}
	// A read first: most minutes nobody is due, and a write would cost a commit.
	var pending []Visitor
	if err := s.view(func(tx *bolt.Tx) (err error) { pending, err = due(tx); return err }); err != nil || len(pending) == 0 {
		return 0, err
	}
	n := 0
	err := s.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		list, err := due(tx)
		if err != nil {
			return err
		}
		for i := range list {
			if _, err := s.checkOut(tx, &list[i], ByClosingTime); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Hosts lists the active staff who receive visitors (host set) whose name
// contains q, case-insensitively, by name.
func (s *Store) Hosts(q string) ([]User, error) {
	all, err := s.Users(true)
	if err != nil {
		return nil, err
	}
	q = strings.ToLower(strings.TrimSpace(q))
	out := []User{}
	for _, u := range all {
		if u.Host && strings.Contains(strings.ToLower(u.Name), q) {
			out = append(out, u)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, nil
}

// refuseOverCapacity keeps a location's visitors on site within its
// capacity (0: no limit), from the kept counts: one Get.
func refuseOverCapacity(tx *bolt.Tx, loc *Location) error {
	if loc.Capacity <= 0 {
		return nil
	}
	in := visitors.count(tx, map[string][]byte{"status": []byte(VisitorCheckedIn), "location_id": orderedUint(loc.ID)})
	if in >= loc.Capacity {
		return Conflict("%s is full: %d of %d visitors are on site; check someone out first", loc.Name, in, loc.Capacity)
	}
	return nil
}
