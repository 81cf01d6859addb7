package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// locations are the shop's sites: stock is counted and visitors signed in
// per location. The pilot of the resource kit: this declaration, the
// createTable step in schema.go and the two event names are all the store
// needed.
var locations = declare(Resource[Location]{
	Name: "locations", Scope: "locations",
	Events: []string{"location.created", "location.updated"},
	Sorts: []Sort[Location]{
		{Name: "id", Label: "Newest", Desc: true, Aliases: []string{"created_at"}},
		{Name: "name", Label: "Name", Key: func(l *Location) []byte { return nameKey(l.Name) }},
		{Name: "updated_at", Label: "Recently updated", Desc: true, Grows: true, Key: func(l *Location) []byte { return orderedUint(timeKey(l.UpdatedAt)) }},
	},
})

// Location is one site of the shop. Its JSON is exactly what the API returns.
type Location struct {
	ID       uint64 `json:"id"`
	Name     string `json:"name"`
	Address  string `json:"address"`
	Timezone string `json:"timezone"` // IANA, e.g. Europe/London
	Capacity int    `json:"capacity"` // people on site at once; 0: no limit
	// OpensAt and ClosesAt are local times, HH:MM ("" when not set).
	OpensAt   string    `json:"opens_at"`
	ClosesAt  string    `json:"closes_at"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// LocationInput creates a location.
type LocationInput struct {
	Name     string `json:"name"`
	Address  string `json:"address"`
	Timezone string `json:"timezone"`
	Capacity int    `json:"capacity"`
	OpensAt  string `json:"opens_at"`
	ClosesAt string `json:"closes_at"`
}

// LocationPatch changes some of a location's fields.
type LocationPatch struct {
	Name     *string `json:"name"`
	Address  *string `json:"address"`
	Timezone *string `json:"timezone"`
	Capacity *int    `json:"capacity"`
	OpensAt  *string `json:"opens_at"`
	ClosesAt *string `json:"closes_at"`
}

func (l *Location) validate() error {
	var p Problems
	l.Name, l.Address = strings.TrimSpace(l.Name), strings.TrimSpace(l.Address)
	if l.Name == "" || utf8.RuneCountInString(l.Name) > 120 {
		p.Add("name", "is required (1 to 120 characters)")
	}
	if utf8.RuneCountInString(l.Address) > 500 {
		p.Add("address", "must be at most 500 characters")
	}
	if l.Timezone == "" {
		l.Timezone = "UTC"
	}
	if _, err := time.LoadLocation(l.Timezone); err != nil || l.Timezone == "Local" {
		p.Add("timezone", "must be an IANA time zone such as Europe/London")
	}
	if l.Capacity < 0 || l.Capacity > 100000 {
		p.Add("capacity", "must be from 0 (no limit) to 100000")
	}
	for field, v := range map[string]string{"opens_at": l.OpensAt, "closes_at": l.ClosesAt} {
		if _, err := time.Parse("15:04", v); v != "" && (err != nil || len(v) != 5) {
			p.Add(field, "must be a local time as HH:MM, such as 09:00")
		}
	}
	if (l.OpensAt == "") != (l.ClosesAt == "") {
		p.Add("closes_at", "opens_at and closes_at are given together")
	}
	return p.Err()
}

// locationWrites creates and updates locations (kitwrites.go).
var locationWrites = kitWrites[Location, *Location]{d: locations, one: "location", put: putLocation}

func (l *Location) created(id uint64, at time.Time) { l.ID, l.CreatedAt, l.UpdatedAt = id, at, at }
func (l *Location) touched(at time.Time)            { l.UpdatedAt = at }

// CreateLocation adds a location and records location.created.
func (s *Store) CreateLocation(ctx context.Context, in LocationInput) (Location, error) {
	l := Location{Name: in.Name, Address: in.Address, Timezone: in.Timezone, Capacity: in.Capacity, OpensAt: in.OpensAt, ClosesAt: in.ClosesAt}
	if err := l.validate(); err != nil {
		return Location{}, err
	}
	return locationWrites.create(ctx, s, l)
}

// UpdateLocation applies a patch in one transaction and records location.updated.
func (s *Store) UpdateLocation(ctx context.Context, id uint64, p LocationPatch) (Location, error) {
	return locationWrites.update(ctx, s, id, func(l *Location) (ordered, error) {
		changes := ordered{}
		changes.text("name", &l.Name, p.Name)
		changes.text("address", &l.Address, p.Address)
		changes.text("timezone", &l.Timezone, p.Timezone)
		changes.text("opens_at", &l.OpensAt, p.OpensAt)
		changes.text("closes_at", &l.ClosesAt, p.ClosesAt)
		if p.Capacity != nil && *p.Capacity != l.Capacity {
			changes = changes.with("capacity", change{l.Capacity, *p.Capacity})
			l.Capacity = *p.Capacity
		}
		return changes, l.validate()
	})
}

// putLocation writes the record with its index entries.
func putLocation(tx *bolt.Tx, old, l *Location) error {
	return locations.put(tx, l.ID, old, l)
}

// Location returns one location's JSON.
func (s *Store) Location(id uint64) (json.RawMessage, error) {
	return s.raw(locations.records, id, "location")
}

// ListLocations pages the locations.
func (s *Store) ListLocations(q ListQuery) (Page, error) {
	var page Page
	err := s.view(func(tx *bolt.Tx) (err error) {
		page, err = locations.list(tx, q)
		return err
	})
	return page, err
}
