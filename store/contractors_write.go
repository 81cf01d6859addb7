package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// ContractorInput creates a contractor (pending until approved).
type ContractorInput struct {
	Company            string `json:"company"`
	Name               string `json:"name"`
	Email              string `json:"email"`
	Phone              string `json:"phone"`
	InductionExpiresOn string `json:"induction_expires_on"`
	InsuranceExpiresOn string `json:"insurance_expires_on"`
}

// ContractorPatch changes some of a contractor's fields. The status moves
// only through approve and reject.
type ContractorPatch struct {
	Company            *string `json:"company"`
	Name               *string `json:"name"`
	Email              *string `json:"email"`
	Phone              *string `json:"phone"`
	InductionExpiresOn *string `json:"induction_expires_on"`
	InsuranceExpiresOn *string `json:"insurance_expires_on"`
}

func (c *Contractor) validate() error {
	var p Problems
	c.Company, c.Name = strings.TrimSpace(c.Company), strings.TrimSpace(c.Name)
	c.Email, c.Phone = strings.TrimSpace(c.Email), strings.TrimSpace(c.Phone)
	c.InductionExpiresOn, c.InsuranceExpiresOn = strings.TrimSpace(c.InductionExpiresOn), strings.TrimSpace(c.InsuranceExpiresOn)
	if c.Company == "" || utf8.RuneCountInString(c.Company) > 120 {
		p.Add("company", "is required (1 to 120 characters)")
	}
	if c.Name == "" || utf8.RuneCountInString(c.Name) > 120 {
		p.Add("name", "is required (1 to 120 characters)")
	}
	if c.Email != "" && (len(c.Email) > 254 || !validEmail(c.Email)) {
		p.Add("email", "must be a valid email address")
	}
	if c.Phone != "" && !validPhone(c.Phone) {
		p.Add("phone", "must be a phone number (digits, spaces and + - ( ) .)")
	}
	for field, v := range map[string]string{"induction_expires_on": c.InductionExpiresOn, "insurance_expires_on": c.InsuranceExpiresOn} {
		if v != "" && !validDate(v) {
			p.Add(field, "must be a date as YYYY-MM-DD")
		}
	}
	return p.Err()
}

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil && len(s) == 10
}

// dayIn is now's date (YYYY-MM-DD) in time zone tz (UTC when unknown).
func dayIn(now time.Time, tz string) string {
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "" {
		loc = time.UTC
	}
	return now.In(loc).Format(time.DateOnly)
}

// datesProblem says, naming the field, which of the contractor's dates is
// missing or before today (the expiry day itself is still valid); nil when
// both are current. Dates as YYYY-MM-DD compare as text.
func (c *Contractor) datesProblem(today string) string {
	var out []string
	for _, d := range []struct{ field, value, what string }{
		{"induction_expires_on", c.InductionExpiresOn, "induction"},
		{"insurance_expires_on", c.InsuranceExpiresOn, "insurance"},
	} {
		switch {
		case d.value == "":
			out = append(out, d.field+" is missing (no "+d.what+" on file)")
		case d.value < today:
			out = append(out, d.field+" expired on "+d.value+" (the "+d.what+" is out of date)")
		}
	}
	return strings.Join(out, "; ")
}

// contractorWrites creates and updates contractors (kitwrites.go).
var contractorWrites = kitWrites[Contractor, *Contractor]{d: contractors, one: "contractor", put: putContractor}

func (c *Contractor) created(id uint64, at time.Time) { c.ID, c.CreatedAt, c.UpdatedAt = id, at, at }
func (c *Contractor) touched(at time.Time)            { c.UpdatedAt = at }

// CreateContractor adds a pending contractor and records contractor.created.
func (s *Store) CreateContractor(ctx context.Context, in ContractorInput) (Contractor, error) {
	c := Contractor{Company: in.Company, Name: in.Name, Email: in.Email, Phone: in.Phone,
		InductionExpiresOn: in.InductionExpiresOn, InsuranceExpiresOn: in.InsuranceExpiresOn, Status: ContractorPending}
	if err := c.validate(); err != nil {
		return Contractor{}, err
	}
	return contractorWrites.create(ctx, s, c)
}

// UpdateContractor applies a patch in one transaction and records
// contractor.updated. An approved contractor stays approved when a date
// changes: check-in checks the dates again.
func (s *Store) UpdateContractor(ctx context.Context, id uint64, p ContractorPatch) (Contractor, error) {
	return contractorWrites.update(ctx, s, id, func(c *Contractor) (ordered, error) {
		changes := ordered{}
		changes.text("company", &c.Company, p.Company)
		changes.text("name", &c.Name, p.Name)
		changes.text("email", &c.Email, p.Email)
		changes.text("phone", &c.Phone, p.Phone)
		changes.text("induction_expires_on", &c.InductionExpiresOn, p.InductionExpiresOn)
		changes.text("insurance_expires_on", &c.InsuranceExpiresOn, p.InsuranceExpiresOn)
		return changes, c.validate()
	})
}

// ApproveContractor approves a pending or rejected contractor whose
// induction and insurance dates are on file and current on the shop's
// today, and records contractor.approved.
func (s *Store) ApproveContractor(ctx context.Context, id uint64) (Contractor, error) {
	return s.changeContractor(ctx, id, "contractor.approved", func(tx *bolt.Tx, c *Contractor) error {
		if c.Status == ContractorApproved {
			return Conflict("contractor %d is already approved", id)
		}
		shop, err := getJSON(tx, keyShop, defaultShop())
		if err != nil {
			return err
		}
		if why := c.datesProblem(dayIn(s.clock(), shop.Timezone)); why != "" {
			return Conflict("contractor %d cannot be approved: %s", id, why)
		}
		c.Status, c.RejectionReason = ContractorApproved, ""
		return nil
	}, nil)
}

// RejectContractor refuses a pending or approved contractor, keeping the
// reason, and records contractor.rejected. A contractor on site stays on
// site until checked out; they cannot check in again.
func (s *Store) RejectContractor(ctx context.Context, id uint64, reason string) (Contractor, error) {
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > 500 {
		return Contractor{}, Invalid("reason", "must be at most 500 characters")
	}
	return s.changeContractor(ctx, id, "contractor.rejected", func(tx *bolt.Tx, c *Contractor) error {
		if c.Status == ContractorRejected {
			return Conflict("contractor %d is already rejected", id)
		}
		c.Status, c.RejectionReason = ContractorRejected, reason
		return nil
	}, ordered{}.with("reason", reason))
}

// CheckInContractor signs an approved contractor in at a location, when
// their induction and insurance are current on the location's today and no
// evacuation is running, and records contractor.checked_in.
func (s *Store) CheckInContractor(ctx context.Context, id, locationID uint64) (Contractor, error) {
	if locationID == 0 {
		return Contractor{}, Invalid("location_id", "is required")
	}
	return s.changeContractor(ctx, id, "contractor.checked_in", func(tx *bolt.Tx, c *Contractor) error {
		if err := refuseDuringEvacuation(tx); err != nil {
			return err
		}
		loc, err := getRecord[Location](tx, locations.records, locationID, "location")
		if err != nil {
			return Invalid("location_id", "no location has this id")
		}
		if c.Status != ContractorApproved {
			return Conflict("contractor %d is %s: only an approved contractor can check in", id, c.Status)
		}
		if why := c.datesProblem(dayIn(s.clock(), loc.Timezone)); why != "" {
			return Conflict("contractor %d cannot check in: %s", id, why)
		}
		if c.OnSiteLocationID != 0 {
			return Conflict("contractor %d is already on site (location %d): check them out first", id, c.OnSiteLocationID)
		}
		now := s.clock()
		c.OnSiteLocationID, c.CheckedInAt = locationID, &now
		return nil
	}, ordered{}.with("location_id", locationID))
}

// CheckOutContractor signs a contractor out and records contractor.checked_out.
func (s *Store) CheckOutContractor(ctx context.Context, id uint64) (Contractor, error) {
	var left uint64
	return s.changeContractor(ctx, id, "contractor.checked_out", func(tx *bolt.Tx, c *Contractor) error {
		if c.OnSiteLocationID == 0 {
			return Conflict("contractor %d is not on site: there is nothing to check out", id)
		}
		left = c.OnSiteLocationID
		c.OnSiteLocationID, c.CheckedInAt = 0, nil
		return nil
	}, ordered{}.with("location_id", &left))
}

// changeContractor reads a contractor, lets apply move it, and writes it
// with event name, whose data is the contractor's id, extra, and the record.
func (s *Store) changeContractor(ctx context.Context, id uint64, event string, apply func(tx *bolt.Tx, c *Contractor) error, extra ordered) (Contractor, error) {
	var out Contractor
	err := s.update(ctx, func(tx *bolt.Tx) error {
		old, err := getRecord[Contractor](tx, contractors.records, id, "contractor")
		if err != nil {
			return err
		}
		c := *old
		if err := apply(tx, &c); err != nil {
			return err
		}
		c.UpdatedAt = s.clock()
		if err := putContractor(tx, old, &c); err != nil {
			return err
		}
		out = c
		data := ordered{}.with("contractor_id", id)
		data = append(data, extra...)
		_, err = s.appendEvent(tx, event, data.with("contractor", c))
		return err
	})
	return out, err
}

// putContractor writes the record with its index entries.
func putContractor(tx *bolt.Tx, old, c *Contractor) error {
	return contractors.put(tx, c.ID, old, c)
}

// Contractor returns one contractor's JSON.
func (s *Store) Contractor(id uint64) (json.RawMessage, error) {
	return s.raw(contractors.records, id, "contractor")
}

// ListContractors pages the contractors.
func (s *Store) ListContractors(q ListQuery) (Page, error) {
	var page Page
	err := s.view(func(tx *bolt.Tx) (err error) {
		page, err = contractors.list(tx, q)
		return err
	})
	return page, err
}

// contractorsOnSite lists the contractors checked in somewhere. Contractor
// lists are short (a firm's people), so this reads them all.
func contractorsOnSite(tx *bolt.Tx) ([]Contractor, error) {
	var out []Contractor
	err := tx.Bucket(contractors.records).ForEach(func(_, v []byte) error {
		raw, err := recordView(v)
		if err != nil {
			return err
		}
		var c Contractor
		if err := json.Unmarshal(raw, &c); err != nil {
			return err
		}
		if c.OnSiteLocationID != 0 {
			out = append(out, c)
		}
		return nil
	})
	return out, err
}
