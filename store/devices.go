package store

import (
	"slices"
	"strings"
	"time"
)

// devices are the phones and tablets the shop buys to test, refurbish and
// sell (API.md "devices"). A device is in stock from its receipt until it is
// sold or scrapped; while in stock its IMEI and serial are its own.
var devices = declare(Resource[StockDevice]{
	Name: "devices", Scope: "devices", Search: true,
	Events: []string{"device.received", "device.updated", "device.status_changed", "device.sold"},
	Filters: []Filter[StockDevice]{
		{Name: "status", Doc: "Only devices in this status (acquired, testing, refurbishing, listed, sold, scrapped)",
			Key: func(d *StockDevice) []byte { return []byte(d.Status) }, Parse: deviceStatus, Few: true, Values: DeviceStatuses},
		{Name: "location_id", Doc: "Only devices at this location", Key: func(d *StockDevice) []byte { return orderedUint(d.LocationID) },
			Parse: positiveID("location_id"), Show: showID, Few: true},
		{Name: "seller_customer_id", Doc: "Only devices bought from this customer",
			Key:   func(d *StockDevice) []byte { return orderedUint(d.SellerCustomerID) },
			Parse: positiveID("seller_customer_id"), Show: showID, SortedBy: []string{"id", "updated_at"}},
	},
	Sorts: []Sort[StockDevice]{
		{Name: "id", Label: "Newest", Desc: true, Aliases: []string{"created_at"}},
		{Name: "updated_at", Label: "Recently updated", Desc: true, Grows: true, Key: func(d *StockDevice) []byte { return orderedUint(timeKey(d.UpdatedAt)) }},
		{Name: "asking_price", Label: "Asking price", Key: func(d *StockDevice) []byte { return orderedUint(priceKey(d.AskingPrice)) }},
	},
})

// Device statuses: acquired → testing → refurbishing → listed → sold, or
// scrapped; deviceMoves says which moves are legal.
const (
	DeviceAcquired     = "acquired"
	DeviceTesting      = "testing"
	DeviceRefurbishing = "refurbishing"
	DeviceListed       = "listed"
	DeviceSold         = "sold"
	DeviceScrapped     = "scrapped"
)

// DeviceStatuses lists a device's statuses in pipeline order.
var DeviceStatuses = []string{DeviceAcquired, DeviceTesting, DeviceRefurbishing, DeviceListed, DeviceSold, DeviceScrapped}

// deviceMoves is the one table of legal status moves: from each status, the
// statuses a device may move to, in pipeline order. A device is tested
// before it is listed; testing may skip refurbishing; a listed device may go
// back to testing or refurbishing (a fault found, a buyer's return before
// sale); only a listed device is sold; anything in stock may be scrapped.
// Sold and scrapped are final. The 409 of an illegal move is made from it.
var deviceMoves = map[string][]string{
	DeviceAcquired:     {DeviceTesting, DeviceScrapped},
	DeviceTesting:      {DeviceRefurbishing, DeviceListed, DeviceScrapped},
	DeviceRefurbishing: {DeviceTesting, DeviceListed, DeviceScrapped},
	DeviceListed:       {DeviceTesting, DeviceRefurbishing, DeviceSold, DeviceScrapped},
	DeviceSold:         nil,
	DeviceScrapped:     nil,
}

// DeviceMoves says where a device in status from may move (nil: final).
func DeviceMoves(from string) []string { return slices.Clone(deviceMoves[from]) }

// DeviceGrades are the cosmetic grades, best first ("" until graded).
var DeviceGrades = []string{"A", "B", "C", "D"}

// inStock says whether a device in this status still holds its IMEI and
// serial: every status but the final ones.
func inStock(status string) bool { return status != DeviceSold && status != DeviceScrapped }

// StockDevice is one device in the buy/sell pipeline (a ticket's Device is
// a customer's, in for repair). Its JSON is exactly what the API returns.
type StockDevice struct {
	ID      uint64 `json:"id"`
	Brand   string `json:"brand"`
	Model   string `json:"model"`
	IMEI    string `json:"imei"`   // 15 digits with a valid Luhn check digit, or ""
	Serial  string `json:"serial"` // as given; compared without case
	Grade   string `json:"grade"`  // A, B, C, D, or "" until graded
	Storage string `json:"storage"`
	Colour  string `json:"colour"`
	// PurchasePrice is what the shop paid the seller.
	PurchasePrice Money  `json:"purchase_price"`
	AskingPrice   *Money `json:"asking_price"`
	SalePrice     *Money `json:"sale_price"` // set when sold
	// SellerCustomerID is the customer who sold it to the shop.
	SellerCustomerID uint64 `json:"seller_customer_id"`
	// BuyerCustomerID is the customer who bought it, when known.
	BuyerCustomerID *uint64              `json:"buyer_customer_id"`
	LocationID      uint64               `json:"location_id"`
	Notes           string               `json:"notes"`
	Status          string               `json:"status"`
	StatusHistory   []DeviceStatusChange `json:"status_history"`
	SoldAt          *time.Time           `json:"sold_at"`
	CreatedAt       time.Time            `json:"created_at"`
	UpdatedAt       time.Time            `json:"updated_at"`
}

// DeviceStatusChange is one entry of a device's status history, oldest
// first; the first has no from (the device's receipt).
type DeviceStatusChange struct {
	From  *string   `json:"from"`
	To    string    `json:"to"`
	At    time.Time `json:"at"`
	Actor Actor     `json:"actor"`
}

func deviceStatus(raw string) ([]byte, error) {
	if slices.Contains(DeviceStatuses, raw) {
		return []byte(raw), nil
	}
	return nil, Invalid("status", "must be one of "+strings.Join(DeviceStatuses, ", "))
}

// priceKey sorts a missing price after every real one.
func priceKey(m *Money) uint64 {
	if m == nil {
		return ^uint64(0)
	}
	return uint64(*m)
}

// validIMEI says whether s is 15 digits whose last is the Luhn check digit
// of the first 14.
func validIMEI(s string) bool {
	if len(s) != 15 || !allDigits(s) {
		return false
	}
	sum := 0
	for i := 0; i < 15; i++ {
		d := int(s[14-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// validSerial allows letters, digits and - . / (manufacturers' serials).
func validSerial(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '/') {
			return false
		}
	}
	return true
}
