package store

import (
	"strings"
	"time"
)

// contractors are the firms' people who work on site: approved once their
// induction and insurance are on file and current; only then may they
// check in (API.md "Visitor desk").
var contractors = declare(Resource[Contractor]{
	Name: "contractors", Scope: "contractors", Search: false,
	Events: []string{"contractor.created", "contractor.updated", "contractor.approved", "contractor.rejected",
		"contractor.checked_in", "contractor.checked_out"},
	Filters: []Filter[Contractor]{
		{Name: "status", Doc: "Only contractors in this status (pending, approved, rejected)",
			Key: func(c *Contractor) []byte { return []byte(c.Status) }, Parse: contractorStatus, Few: true},
	},
	Sorts: []Sort[Contractor]{
		{Name: "id", Label: "Newest", Desc: true, Aliases: []string{"created_at"}},
		{Name: "company", Label: "Company", Key: func(c *Contractor) []byte { return nameKey(c.Company) }},
		{Name: "updated_at", Label: "Recently updated", Desc: true, Grows: true, Key: func(c *Contractor) []byte { return orderedUint(timeKey(c.UpdatedAt)) }},
	},
})

// Contractor statuses: pending → approved or rejected.
const (
	ContractorPending  = "pending"
	ContractorApproved = "approved"
	ContractorRejected = "rejected"
)

// ContractorStatuses lists the statuses a contractor can have.
var ContractorStatuses = []string{ContractorPending, ContractorApproved, ContractorRejected}

// Contractor is one contractor (a person of a firm). Its JSON is exactly
// what the API returns.
type Contractor struct {
	ID      uint64 `json:"id"`
	Company string `json:"company"`
	Name    string `json:"name"` // the contact
	Email   string `json:"email"`
	Phone   string `json:"phone"`
	Status  string `json:"status"`
	// RejectionReason says why the desk refused the contractor ("" unless rejected).
	RejectionReason string `json:"rejection_reason"`
	// Dates as YYYY-MM-DD; the day itself is still valid.
	InductionExpiresOn string `json:"induction_expires_on"`
	InsuranceExpiresOn string `json:"insurance_expires_on"`
	// OnSiteLocationID is where the contractor is checked in (0: not on site).
	OnSiteLocationID uint64     `json:"on_site_location_id"`
	CheckedInAt      *time.Time `json:"checked_in_at"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

func contractorStatus(raw string) ([]byte, error) {
	for _, s := range ContractorStatuses {
		if raw == s {
			return []byte(raw), nil
		}
	}
	return nil, Invalid("status", "must be one of "+strings.Join(ContractorStatuses, ", "))
}
