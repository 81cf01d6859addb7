package chain

import "time"

// The publisher's states.
const (
	StateOff          = "off"          // no URL set
	StateConnecting   = "connecting"   // configured, not connected yet
	StateConnected    = "connected"    // connected, the stream checked
	StateDisconnected = "disconnected" // was connected or tried, retrying with backoff
)

// Status is what the console and GET /api/v1/appliance/chain show.
type Status struct {
	State       string        `json:"state"`              // off | connecting | connected | disconnected
	Error       string        `json:"error,omitempty"`    // the last failure in words, never a secret
	ErrorAt     *time.Time    `json:"error_at,omitempty"` // when it happened
	URL         string        `json:"url"`                // redacted
	Stream      string        `json:"stream"`
	Shop        string        `json:"shop"`
	IncludeTest bool          `json:"include_test"`
	Stores      []StoreStatus `json:"stores"` // live, then test when included
}

// StoreStatus is how far one store's events are mirrored.
type StoreStatus struct {
	Store            string     `json:"store"`             // live | test
	PublishedThrough uint64     `json:"published_through"` // the cursor: last seq JetStream acknowledged
	LastEvent        uint64     `json:"last_event"`
	LagEvents        uint64     `json:"lag_events"`
	LagSeconds       float64    `json:"lag_seconds"` // age of the oldest event not yet acknowledged; 0 caught up
	LastPublishedAt  *time.Time `json:"last_published_at"`
}
