package store

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketEvacuationEntries holds every roll-call entry (be64 entry id ->
// JSON). An evacuation's entries are made in its activation's transaction,
// so their ids are one run: FirstEntryID up to FirstEntryID+Entries-1.
var bucketEvacuationEntries = []byte("evacuation_entries")

// Evacuation statuses.
const (
	EvacuationActive = "active"
	EvacuationEnded  = "ended"
)

// Kinds of people a roll call holds.
const (
	EvacueeVisitor    = "visitor"
	EvacueeContractor = "contractor"
	EvacueeStaff      = "staff"
)

// Evacuation is one evacuation as the API shows it: the roll call taken at
// activation, each entry marked safe or not, and the counts per location.
type Evacuation struct {
	ID          uint64     `json:"id"`
	LocationID  uint64     `json:"location_id"` // 0: every location
	Status      string     `json:"status"`
	ActivatedAt time.Time  `json:"activated_at"`
	EndedAt     *time.Time `json:"ended_at"`
	EvacuationCounts
	// Locations counts per location, in id order (every location when the
	// evacuation covers them all, even one nobody was at).
	Locations []EvacuationLocation `json:"locations"`
	Entries   []EvacuationEntry    `json:"entries"`
	// Summary is written when the evacuation ends (null while it runs).
	Summary *EvacuationSummary `json:"summary"`
}

// EvacuationCounts are the roll call's tallies.
type EvacuationCounts struct {
	Total       int `json:"total"`
	Safe        int `json:"safe"`
	Unaccounted int `json:"unaccounted"`
}

// EvacuationLocation is one location's tallies.
type EvacuationLocation struct {
	LocationID uint64 `json:"location_id"`
	Name       string `json:"name"`
	EvacuationCounts
}

// EvacuationSummary is how an evacuation ended.
type EvacuationSummary struct {
	EvacuationCounts
	DurationSeconds int64 `json:"duration_seconds"`
}

// EvacuationEntry is one person on the roll call, as they were at activation.
type EvacuationEntry struct {
	ID           uint64     `json:"id"`
	EvacuationID uint64     `json:"evacuation_id"`
	Kind         string     `json:"kind"` // visitor, contractor or staff
	PersonID     uint64     `json:"person_id"`
	Name         string     `json:"name"`
	Company      string     `json:"company"`
	LocationID   uint64     `json:"location_id"`
	Safe         bool       `json:"safe"`
	SafeAt       *time.Time `json:"safe_at"`
}

// evacuationRecord is an evacuation as the store keeps it; entries and
// counts are read from the entries bucket.
type evacuationRecord struct {
	ID           uint64             `json:"id"`
	LocationID   uint64             `json:"location_id"`
	ActivatedAt  time.Time          `json:"activated_at"`
	EndedAt      *time.Time         `json:"ended_at"`
	FirstEntryID uint64             `json:"first_entry_id"`
	Entries      int                `json:"entries"`
	Summary      *EvacuationSummary `json:"summary"`
}

// ActivateEvacuation takes the roll call of everyone on site now — visitors
// checked in, contractors and staff marked present — at one location, or
// at every location (locationID 0), in one transaction, which also shuts
// the check-in gate, and records evacuation.activated.
func (s *Store) ActivateEvacuation(ctx context.Context, locationID uint64) (Evacuation, error) {
	var out Evacuation
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvacuations)
		if active := b.Get(keyActiveEvacuation); active != nil {
			return Conflict("evacuation %d is already active: end it before activating another", btoi(active))
		}
		if locationID != 0 && tx.Bucket(locations.records).Get(itob(locationID)) == nil {
			return Invalid("location_id", "no location has this id")
		}
		people, err := peopleOnSite(tx, locationID)
		if err != nil {
			return err
		}
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		now := s.clock()
		rec := evacuationRecord{ID: id, LocationID: locationID, ActivatedAt: now, Entries: len(people)}
		eb := appending(tx.Bucket(bucketEvacuationEntries))
		for i := range people {
			e := &people[i]
			if e.ID, err = eb.NextSequence(); err != nil {
				return err
			}
			if i == 0 {
				rec.FirstEntryID = e.ID
			}
			e.EvacuationID = id
			if err := putEntry(tx, e); err != nil {
				return err
			}
		}
		if err := putEvacuation(tx, &rec); err != nil {
			return err
		}
		if err := b.Put(keyActiveEvacuation, itob(id)); err != nil {
			return err
		}
		if out, err = evacuationView(tx, &rec); err != nil {
			return err
		}
		_, err = s.appendEvent(tx, "evacuation.activated", ordered{}.with("evacuation_id", id).with("evacuation", out.head()))
		return err
	})
	return out, err
}

// MarkSafe marks one person of the running evacuation's roll call safe and
// records evacuation.person_safe. It is idempotent: marking someone safe
// again changes nothing, logs nothing and answers the entry as it is.
func (s *Store) MarkSafe(ctx context.Context, entryID uint64) (EvacuationEntry, error) {
	var out EvacuationEntry
	err := s.update(ctx, func(tx *bolt.Tx) error {
		e, err := getRecord[EvacuationEntry](tx, bucketEvacuationEntries, entryID, "roll-call entry")
		if err != nil {
			return err
		}
		out = *e
		if e.Safe {
			return nil
		}
		if active := tx.Bucket(bucketEvacuations).Get(keyActiveEvacuation); active == nil || btoi(active) != e.EvacuationID {
			return Conflict("evacuation %d has ended: its roll call is closed", e.EvacuationID)
		}
		now := s.clock()
		e.Safe, e.SafeAt = true, &now
		if err := putEntry(tx, e); err != nil {
			return err
		}
		out = *e
		rec, err := getRecord[evacuationRecord](tx, bucketEvacuations, e.EvacuationID, "evacuation")
		if err != nil {
			return err
		}
		view, err := evacuationView(tx, rec)
		if err != nil {
			return err
		}
		_, err = s.appendEvent(tx, "evacuation.person_safe", ordered{}.with("evacuation_id", e.EvacuationID).
			with("entry_id", e.ID).with("entry", e).with("evacuation", view.head()))
		return err
	})
	return out, err
}

// EndEvacuation closes the running evacuation with its summary, opens the
// check-in gate again and records evacuation.ended.
func (s *Store) EndEvacuation(ctx context.Context) (Evacuation, error) {
	var out Evacuation
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvacuations)
		active := b.Get(keyActiveEvacuation)
		if active == nil {
			return Conflict("no evacuation is active: there is nothing to end")
		}
		rec, err := getRecord[evacuationRecord](tx, bucketEvacuations, btoi(active), "evacuation")
		if err != nil {
			return err
		}
		now := s.clock()
		rec.EndedAt = &now
		view, err := evacuationView(tx, rec)
		if err != nil {
			return err
		}
		rec.Summary = &EvacuationSummary{EvacuationCounts: view.EvacuationCounts, DurationSeconds: int64(now.Sub(rec.ActivatedAt) / time.Second)}
		if err := putEvacuation(tx, rec); err != nil {
			return err
		}
		if err := b.Delete(keyActiveEvacuation); err != nil {
			return err
		}
		view.Status, view.EndedAt, view.Summary = EvacuationEnded, rec.EndedAt, rec.Summary
		out = view
		_, err = s.appendEvent(tx, "evacuation.ended", ordered{}.with("evacuation_id", rec.ID).with("evacuation", view.head()))
		return err
	})
	return out, err
}

// CurrentEvacuation is the running evacuation, else the last one that
// ended; ErrNotFound when there has never been one.
func (s *Store) CurrentEvacuation() (Evacuation, error) {
	var out Evacuation
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvacuations)
		id := b.Sequence()
		if active := b.Get(keyActiveEvacuation); active != nil {
			id = btoi(active)
		}
		if id == 0 {
			return notFound("evacuation")
		}
		rec, err := getRecord[evacuationRecord](tx, bucketEvacuations, id, "evacuation")
		if err != nil {
			return err
		}
		out, err = evacuationView(tx, rec)
		return err
	})
	return out, err
}

// peopleOnSite lists everyone on site (at locationID, or anywhere for 0)
// as roll-call entries without ids, by location and name.
func peopleOnSite(tx *bolt.Tx, locationID uint64) ([]EvacuationEntry, error) {
	var out []EvacuationEntry
	add := func(kind string, id uint64, name, company string, at uint64) {
		if at != 0 && (locationID == 0 || at == locationID) {
			out = append(out, EvacuationEntry{Kind: kind, PersonID: id, Name: name, Company: company, LocationID: at})
		}
	}
	vs, err := visitorsOnSite(tx)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		add(EvacueeVisitor, v.ID, v.Name, v.Company, v.LocationID)
	}
	cs, err := contractorsOnSite(tx)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		add(EvacueeContractor, c.ID, c.Name, c.Company, c.OnSiteLocationID)
	}
	err = tx.Bucket(bucketUsers).ForEach(func(_, v []byte) error {
		var r userRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		add(EvacueeStaff, r.ID, r.Name, "", r.OnSiteLocationID)
		return nil
	})
	slices.SortStableFunc(out, func(a, b EvacuationEntry) int {
		return cmp.Or(cmp.Compare(a.LocationID, b.LocationID), strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)))
	})
	return out, err
}

// evacuationView reads an evacuation's entries and counts them.
func evacuationView(tx *bolt.Tx, rec *evacuationRecord) (Evacuation, error) {
	out := Evacuation{ID: rec.ID, LocationID: rec.LocationID, Status: EvacuationActive, ActivatedAt: rec.ActivatedAt,
		EndedAt: rec.EndedAt, Summary: rec.Summary, Entries: make([]EvacuationEntry, 0, rec.Entries), Locations: []EvacuationLocation{}}
	if rec.EndedAt != nil {
		out.Status = EvacuationEnded
	}
	byLocation := map[uint64]*EvacuationCounts{}
	if rec.LocationID != 0 {
		byLocation[rec.LocationID] = &EvacuationCounts{}
	} else if err := tx.Bucket(locations.records).ForEach(func(k, _ []byte) error {
		byLocation[btoi(k)] = &EvacuationCounts{}
		return nil
	}); err != nil {
		return Evacuation{}, err
	}
	for i := range rec.Entries {
		e, err := getRecord[EvacuationEntry](tx, bucketEvacuationEntries, rec.FirstEntryID+uint64(i), "roll-call entry")
		if err != nil {
			return Evacuation{}, err
		}
		out.Entries = append(out.Entries, *e)
		c := byLocation[e.LocationID]
		if c == nil {
			c = &EvacuationCounts{}
			byLocation[e.LocationID] = c
		}
		for _, n := range []*EvacuationCounts{c, &out.EvacuationCounts} {
			n.Total++
			if e.Safe {
				n.Safe++
			} else {
				n.Unaccounted++
			}
		}
	}
	for id, c := range byLocation {
		l := EvacuationLocation{LocationID: id, EvacuationCounts: *c}
		if loc, err := getRecord[Location](tx, locations.records, id, "location"); err == nil {
			l.Name = loc.Name
		}
		out.Locations = append(out.Locations, l)
	}
	slices.SortFunc(out.Locations, func(a, b EvacuationLocation) int { return cmp.Compare(a.LocationID, b.LocationID) })
	return out, nil
}

// head is the evacuation without its roll call, as events carry it (the
// counts per location, no one's name).
func (e Evacuation) head() ordered {
	return ordered{}.with("id", e.ID).with("location_id", e.LocationID).with("status", e.Status).
		with("activated_at", e.ActivatedAt).with("ended_at", e.EndedAt).with("total", e.Total).with("safe", e.Safe).
		with("unaccounted", e.Unaccounted).with("locations", e.Locations).with("summary", e.Summary)
}

func putEntry(tx *bolt.Tx, e *EvacuationEntry) error {
	raw, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketEvacuationEntries).Put(itob(e.ID), raw)
}

func putEvacuation(tx *bolt.Tx, rec *evacuationRecord) error {
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return appending(tx.Bucket(bucketEvacuations)).Put(itob(rec.ID), raw)
}
