package store

import (
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

// What a kiosk may say to whoever stands at it: a refused code is explained
// without naming anyone (the desk's own messages name the visitor), and a
// visit is shown as its badge and a first name, nothing more.

// KioskBadge is a visitor's badge, as the kiosk prints it.
type KioskBadge struct {
	Name        string    `json:"name"`
	Company     string    `json:"company"`
	Host        string    `json:"host"`
	Location    string    `json:"location"`
	Timezone    string    `json:"timezone"`
	Date        string    `json:"date"` // the visit's day, YYYY-MM-DD in the location's time zone
	CheckedInAt time.Time `json:"checked_in_at"`
}

// KioskBadgeOf reads what visitor v's badge shows.
func (s *Store) KioskBadgeOf(v Visitor) (KioskBadge, error) {
	b := KioskBadge{Name: v.Name, Company: v.Company, Date: v.Date}
	if v.CheckedInAt != nil {
		b.CheckedInAt = *v.CheckedInAt
	}
	err := s.view(func(tx *bolt.Tx) error {
		if host, err := getRecord[userRecord](tx, bucketUsers, v.HostID, "user"); err == nil {
			b.Host = host.Name
		}
		loc, err := getRecord[Location](tx, locations.records, v.LocationID, "location")
		if err != nil {
			return err
		}
		b.Location, b.Timezone = loc.Name, loc.Timezone
		return nil
	})
	return b, err
}

// KioskRefusal turns a refused kiosk check-in or check-out of code (err, as
// the visitor desk answered) into what the kiosk may say: the same status,
// words for a visitor, and no name. Other errors are returned as they are.
func (s *Store) KioskRefusal(err error, code string, locationID uint64, checkingIn bool) error {
	var ce *ConflictError
	if !errors.As(err, &ce) {
		return err
	}
	out := Conflict("this code cannot be used here now; please ask at the desk")
	s.view(func(tx *bolt.Tx) error {
		if refuseDuringEvacuation(tx) != nil {
			out = Conflict("an evacuation is in progress: please leave by the nearest exit")
			return nil
		}
		v, verr := visitorByCode(tx, code, 0)
		if verr != nil {
			v = &Visitor{Status: VisitorExpected, LocationID: locationID} // a walk-in: no code yet
		}
		switch {
		case locationID != 0 && v.LocationID != locationID:
			out = Conflict("this code is for a visit to another of our locations; please ask at the desk")
		case v.Status == VisitorCheckedIn && checkingIn:
			out = Conflict("this code has already been used to check in; if you are leaving, choose “I'm leaving”")
		case v.Status == VisitorExpected && !checkingIn:
			out = Conflict("this code has not been checked in yet; if you are arriving, choose “I have a code”")
		case v.Status == VisitorCancelled:
			out = Conflict("this visit was cancelled; please ask at the desk")
		case v.Status == VisitorCheckedOut:
			out = Conflict("this visit has already ended; please ask at the desk")
		case checkingIn && locationID != 0: // a walk-in (no code) or an expected visitor: is the site full?
			if loc, err := getRecord[Location](tx, locations.records, locationID, "location"); err == nil && refuseOverCapacity(tx, loc) != nil {
				out = Conflict("we are full at the moment; please ask at the desk")
			}
		}
		return nil
	})
	return out
}

// KioskCode is a visitor code as typed at a kiosk, as the badge shows it.
func KioskCode(code string) string { return normalizeVisitorCode(code) }
