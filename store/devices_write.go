package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// The devices' writes: receipt, changes and status moves. Every change
// records its device.* event in the same transaction, with the device in
// the data.

var (
	bucketDeviceSearch = []byte("search_devices") // token postings (postings.go)
	// bucketDeviceCodes holds "imei:<imei>" and "serial:<SERIAL>" → the id
	// of the device in stock that holds it. A device's codes are put on
	// receipt and taken out when it is sold or scrapped, in the transaction
	// that moves it, so a key here always names a device in stock.
	bucketDeviceCodes = []byte("device_codes")
)

var deviceSearch = &tokenIndex{bucketDeviceSearch, devices.records}

// DeviceInput receives a device (acquired). PurchasePrice is required.
type DeviceInput struct {
	Brand            string `json:"brand"`
	Model            string `json:"model"`
	IMEI             string `json:"imei"`
	Serial           string `json:"serial"`
	Grade            string `json:"grade"`
	Storage          string `json:"storage"`
	Colour           string `json:"colour"`
	PurchasePrice    *Money `json:"purchase_price"`
	AskingPrice      *Money `json:"asking_price"`
	SellerCustomerID uint64 `json:"seller_customer_id"`
	LocationID       uint64 `json:"location_id"`
	Notes            string `json:"notes"`
}

// DevicePatch changes some of a device's fields and may move its status.
// SalePrice (required) and BuyerCustomerID go with a move to sold. A sold or
// scrapped device is final: only its notes change.
type DevicePatch struct {
	Brand            *string `json:"brand"`
	Model            *string `json:"model"`
	IMEI             *string `json:"imei"`
	Serial           *string `json:"serial"`
	Grade            *string `json:"grade"`
	Storage          *string `json:"storage"`
	Colour           *string `json:"colour"`
	PurchasePrice    *Money  `json:"purchase_price"`
	AskingPrice      *Money  `json:"asking_price"`
	SellerCustomerID *uint64 `json:"seller_customer_id"`
	LocationID       *uint64 `json:"location_id"`
	Notes            *string `json:"notes"`
	Status           *string `json:"status"`
	SalePrice        *Money  `json:"sale_price"`
	BuyerCustomerID  *uint64 `json:"buyer_customer_id"`
}

// DeviceMove moves a device's status (POST /devices/{id}/status): the
// status part of a DevicePatch.
type DeviceMove struct {
	Status          string  `json:"status"`
	SalePrice       *Money  `json:"sale_price"`
	BuyerCustomerID *uint64 `json:"buyer_customer_id"`
}

func (d *StockDevice) validate() error {
	var p Problems
	d.Brand, d.Model, d.IMEI = strings.TrimSpace(d.Brand), strings.TrimSpace(d.Model), strings.TrimSpace(d.IMEI)
	d.Serial, d.Grade = strings.TrimSpace(d.Serial), strings.ToUpper(strings.TrimSpace(d.Grade))
	d.Storage, d.Colour, d.Notes = strings.TrimSpace(d.Storage), strings.TrimSpace(d.Colour), strings.TrimSpace(d.Notes)
	if d.Brand == "" || utf8.RuneCountInString(d.Brand) > 60 {
		p.Add("brand", "is required (1 to 60 characters)")
	}
	if d.Model == "" || utf8.RuneCountInString(d.Model) > 120 {
		p.Add("model", "is required (1 to 120 characters)")
	}
	switch {
	case d.IMEI == "" && d.Serial == "":
		p.Add("imei", "an IMEI or a serial is required, to tell the device apart")
	case d.IMEI != "" && !validIMEI(d.IMEI):
		p.Add("imei", "must be 15 digits whose last is the Luhn check digit")
	}
	if len(d.Serial) > 64 || !validSerial(d.Serial) {
		p.Add("serial", "must be at most 64 letters, digits and - . /")
	}
	if d.Grade != "" && !slices.Contains(DeviceGrades, d.Grade) {
		p.Add("grade", "must be one of "+strings.Join(DeviceGrades, ", ")+" (or empty until graded)")
	}
	if utf8.RuneCountInString(d.Storage) > 20 {
		p.Add("storage", "must be at most 20 characters (such as 128 GB)")
	}
	if utf8.RuneCountInString(d.Colour) > 40 {
		p.Add("colour", "must be at most 40 characters")
	}
	if utf8.RuneCountInString(d.Notes) > 10000 {
		p.Add("notes", "must be at most 10000 characters")
	}
	for field, m := range map[string]*Money{"purchase_price": &d.PurchasePrice, "asking_price": d.AskingPrice, "sale_price": d.SalePrice} {
		if m != nil && (*m < 0 || *m > MaxAmount) {
			p.Add(field, "must be from 0 to 999999999.99")
		}
	}
	if d.SellerCustomerID == 0 {
		p.Add("seller_customer_id", "is required: the customer who sold the device to the shop")
	}
	if d.LocationID == 0 {
		p.Add("location_id", "is required: where the device is kept")
	}
	return p.Err()
}

// checkRefs says, naming the field, which of the device's references
// names no record; only those that differ from old's are checked (nil: all),
// so a device whose seller was deleted since can still move.
func (d *StockDevice) checkRefs(tx *bolt.Tx, old *StockDevice) error {
	var p Problems
	if (old == nil || old.SellerCustomerID != d.SellerCustomerID) && tx.Bucket(customers.records).Get(itob(d.SellerCustomerID)) == nil {
		p.Add("seller_customer_id", "no customer has this id")
	}
	if (old == nil || old.LocationID != d.LocationID) && tx.Bucket(locations.records).Get(itob(d.LocationID)) == nil {
		p.Add("location_id", "no location has this id")
	}
	if d.BuyerCustomerID != nil && (old == nil || !equalPtr(old.BuyerCustomerID, d.BuyerCustomerID)) &&
		tx.Bucket(customers.records).Get(itob(*d.BuyerCustomerID)) == nil {
		p.Add("buyer_customer_id", "no customer has this id")
	}
	return p.Err()
}

// codes are the device's keys in bucketDeviceCodes, with what each names.
func (d *StockDevice) codes() (keys [][]byte, names []string) {
	if d.IMEI != "" {
		keys, names = append(keys, []byte("imei:"+d.IMEI)), append(names, "IMEI "+d.IMEI)
	}
	if d.Serial != "" {
		keys, names = append(keys, []byte("serial:"+strings.ToUpper(d.Serial))), append(names, "serial "+d.Serial)
	}
	return keys, names
}

// holdCodes moves the device's hold on its IMEI and serial from old (nil on
// receipt) to d: a device out of stock holds none. It refuses, naming
// which, an IMEI or serial held by another device in stock.
func holdCodes(tx *bolt.Tx, old, d *StockDevice) error {
	b := tx.Bucket(bucketDeviceCodes)
	if old != nil && inStock(old.Status) {
		keys, _ := old.codes()
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
	}
	if !inStock(d.Status) {
		return nil
	}
	keys, names := d.codes()
	var taken []string
	for i, k := range keys {
		if v := b.Get(k); v != nil && btoi(v) != d.ID {
			other, err := getRecord[StockDevice](tx, devices.records, btoi(v), "device")
			if err != nil {
				return err
			}
			taken = append(taken, fmt.Sprintf("%s is held by device %d (%s)", names[i], other.ID, other.Status))
		}
	}
	if len(taken) > 0 {
		return Conflict("already in stock: %s; each stays with one device until that device is sold or scrapped", strings.Join(taken, "; "))
	}
	for _, k := range keys {
		if err := b.Put(k, itob(d.ID)); err != nil {
			return err
		}
	}
	return nil
}

// tokens are what device search matches: words of the brand and model, the
// IMEI whole and its endings of 4 digits or more (the last digits find it),
// and the serial whole, as its words and run together.
func (d *StockDevice) tokens() []string {
	set := tokenSet{}
	set.words(d.Brand + " " + d.Model)
	for i := 0; i+4 <= len(d.IMEI); i++ {
		set.add(d.IMEI[i:])
	}
	if d.Serial != "" {
		words := strings.FieldsFunc(strings.ToLower(d.Serial), isSeparator)
		set.add(strings.ToLower(d.Serial), strings.Join(words, ""))
		set.add(words...)
	}
	return set.list()
}

// CreateDevice receives a device into stock (acquired) and records
// device.received.
func (s *Store) CreateDevice(ctx context.Context, in DeviceInput) (StockDevice, error) {
	d := StockDevice{Brand: in.Brand, Model: in.Model, IMEI: in.IMEI, Serial: in.Serial, Grade: in.Grade, Storage: in.Storage,
		Colour: in.Colour, AskingPrice: in.AskingPrice, SellerCustomerID: in.SellerCustomerID, LocationID: in.LocationID,
		Notes: in.Notes, Status: DeviceAcquired}
	if in.PurchasePrice != nil {
		d.PurchasePrice = *in.PurchasePrice
	}
	err := d.validate()
	if in.PurchasePrice == nil {
		err = addProblem(err, "purchase_price", "is required: what the shop paid the seller")
	}
	if err != nil {
		return StockDevice{}, err
	}
	actor := ActorFrom(ctx)
	var out StockDevice
	err = s.update(ctx, func(tx *bolt.Tx) error {
		rec := d
		if err := rec.checkRefs(tx, nil); err != nil {
			return err
		}
		id, err := tx.Bucket(devices.records).NextSequence()
		if err != nil {
			return err
		}
		now := s.clock()
		rec.ID, rec.CreatedAt, rec.UpdatedAt = id, now, now
		rec.StatusHistory = []DeviceStatusChange{{To: DeviceAcquired, At: now, Actor: actor}}
		if err := holdCodes(tx, nil, &rec); err != nil {
			return err
		}
		if err := putDevice(tx, nil, &rec); err != nil {
			return err
		}
		out = rec
		_, err = s.appendEvent(tx, "device.received", ordered{}.with("device_id", id).with("device", rec))
		return err
	})
	return out, err
}

// addProblem adds a field's problem to err, a *ValidationError or nil.
func addProblem(err error, field, message string) error {
	var p Problems
	if ve, ok := err.(*ValidationError); ok {
		p.fields = ve.Fields
	}
	p.Add(field, message)
	return p.Err()
}

// MoveDevice moves a device's status (the status part of UpdateDevice).
func (s *Store) MoveDevice(ctx context.Context, id uint64, m DeviceMove) (StockDevice, error) {
	return s.UpdateDevice(ctx, id, DevicePatch{Status: &m.Status, SalePrice: m.SalePrice, BuyerCustomerID: m.BuyerCustomerID})
}

// UpdateDevice applies a patch in one transaction. It records
// device.updated when fields change, device.status_changed when the status
// moves (a move deviceMoves does not allow is a 409 naming the allowed
// ones), and device.sold after it on a sale, in that order.
func (s *Store) UpdateDevice(ctx context.Context, id uint64, p DevicePatch) (StockDevice, error) {
	actor := ActorFrom(ctx)
	var out StockDevice
	err := s.update(ctx, func(tx *bolt.Tx) error {
		old, err := getRecord[StockDevice](tx, devices.records, id, "device")
		if err != nil {
			return err
		}
		d := *old
		changes := ordered{}
		changes.text("brand", &d.Brand, p.Brand)
		changes.text("model", &d.Model, p.Model)
		changes.text("imei", &d.IMEI, p.IMEI)
		changes.text("serial", &d.Serial, p.Serial)
		if p.Grade != nil { // grades compare without case ("b" is B)
			g := strings.ToUpper(strings.TrimSpace(*p.Grade))
			changes.text("grade", &d.Grade, &g)
		}
		changes.text("storage", &d.Storage, p.Storage)
		changes.text("colour", &d.Colour, p.Colour)
		if p.PurchasePrice != nil && *p.PurchasePrice != d.PurchasePrice {
			changes = changes.with("purchase_price", change{d.PurchasePrice, *p.PurchasePrice})
			d.PurchasePrice = *p.PurchasePrice
		}
		if p.AskingPrice != nil && !equalPtr(p.AskingPrice, d.AskingPrice) {
			changes = changes.with("asking_price", change{d.AskingPrice, *p.AskingPrice})
			d.AskingPrice = p.AskingPrice
		}
		for _, ref := range []struct {
			name string
			dst  *uint64
			v    *uint64
		}{{"seller_customer_id", &d.SellerCustomerID, p.SellerCustomerID}, {"location_id", &d.LocationID, p.LocationID}} {
			if ref.v != nil && *ref.v != *ref.dst {
				changes = changes.with(ref.name, change{*ref.dst, *ref.v})
				*ref.dst = *ref.v
			}
		}
		notes := d.Notes
		changes.text("notes", &d.Notes, p.Notes)
		if err := d.validate(); err != nil {
			return err
		}
		if !inStock(old.Status) && (len(changes) > 1 || len(changes) == 1 && d.Notes == notes) {
			return Conflict("device %d is %s, which is final: only its notes can change", id, old.Status)
		}
		now := s.clock()
		to := old.Status
		if p.Status != nil {
			to = *p.Status
		}
		moved := to != old.Status
		if moved {
			if err := checkMove(old, to); err != nil {
				return err
			}
			d.Status = to
			d.StatusHistory = append(slices.Clip(old.StatusHistory), DeviceStatusChange{From: &old.Status, To: to, At: now, Actor: actor})
		}
		sold := moved && to == DeviceSold
		if err := saleFields(old, &d, p, sold, now); err != nil {
			return err
		}
		if err := d.checkRefs(tx, old); err != nil {
			return err
		}
		out = d
		if len(changes) == 0 && !moved {
			return nil
		}
		d.UpdatedAt = now
		if err := holdCodes(tx, old, &d); err != nil {
			return err
		}
		if err := putDevice(tx, old, &d); err != nil {
			return err
		}
		out = d
		return s.deviceUpdateEvents(tx, old, &d, changes)
	})
	return out, err
}

// checkMove refuses a move deviceMoves does not allow: 422 for a status
// that does not exist, 409 naming where the device can move.
func checkMove(old *StockDevice, to string) error {
	if _, err := deviceStatus(to); err != nil {
		return err
	}
	allowed := deviceMoves[old.Status]
	if slices.Contains(allowed, to) {
		return nil
	}
	where := strings.Join(allowed, ", ")
	if len(allowed) == 0 {
		where = "nothing, " + old.Status + " is final"
	}
	return Conflict("device %d cannot move from %s to %s: can move to: %s", old.ID, old.Status, to, where)
}

// saleFields sets the sale's fields on a move to sold (a sale_price is
// required); given otherwise they must be what the device already has.
func saleFields(old, d *StockDevice, p DevicePatch, sold bool, now time.Time) error {
	if sold {
		if p.SalePrice == nil {
			return Invalid("sale_price", "is required to sell a device")
		}
		if *p.SalePrice < 0 || *p.SalePrice > MaxAmount {
			return Invalid("sale_price", "must be from 0 to 999999999.99")
		}
		price := *p.SalePrice
		d.SalePrice, d.SoldAt = &price, &now
		if p.BuyerCustomerID != nil {
			buyer := *p.BuyerCustomerID
			d.BuyerCustomerID = &buyer
		}
		return nil
	}
	sameBuyer := p.BuyerCustomerID == nil || equalPtr(p.BuyerCustomerID, old.BuyerCustomerID)
	if (p.SalePrice == nil || equalPtr(p.SalePrice, old.SalePrice)) && sameBuyer {
		return nil
	}
	if old.Status == DeviceSold {
		return Conflict("device %d is sold, which is final: only its notes can change", old.ID)
	}
	field := "sale_price"
	if p.SalePrice == nil {
		field = "buyer_customer_id"
	}
	return Invalid(field, "is set when the device is sold: send it with status sold")
}

// deviceUpdateEvents records device.updated for the fields that changed,
// then device.status_changed and device.sold for a move and a sale.
func (s *Store) deviceUpdateEvents(tx *bolt.Tx, old, d *StockDevice, changes ordered) error {
	if len(changes) > 0 {
		if _, err := s.appendEvent(tx, "device.updated", ordered{}.with("device_id", d.ID).with("changes", changes).with("device", *d)); err != nil {
			return err
		}
	}
	if old.Status == d.Status {
		return nil
	}
	moved := ordered{}.with("status", change{old.Status, d.Status})
	if _, err := s.appendEvent(tx, "device.status_changed", ordered{}.with("device_id", d.ID).with("changes", moved).with("device", *d)); err != nil {
		return err
	}
	if d.Status != DeviceSold {
		return nil
	}
	_, err := s.appendEvent(tx, "device.sold", ordered{}.with("device_id", d.ID).with("sale_price", d.SalePrice).
		with("buyer_customer_id", d.BuyerCustomerID).with("device", *d))
	return err
}

// putDevice writes the record with its indexes and search tokens.
func putDevice(tx *bolt.Tx, old, d *StockDevice) error {
	var oldTokens []string
	if old != nil {
		oldTokens = old.tokens()
	}
	if err := setTokens(tx.Bucket(bucketDeviceSearch), d.ID, oldTokens, d.tokens()); err != nil {
		return err
	}
	return devices.put(tx, d.ID, old, d)
}

// Device returns one device's JSON.
func (s *Store) Device(id uint64) (json.RawMessage, error) {
	return s.raw(devices.records, id, "device")
}

// ListDevices pages the devices; search (q=) matches every word as a prefix
// of the brand's or model's words, of the IMEI or its endings, or of the
// serial, and the list's filters narrow the hits.
func (s *Store) ListDevices(q ListQuery, search string) (Page, error) {
	var page Page
	err := s.view(func(tx *bolt.Tx) error {
		if strings.TrimSpace(search) == "" {
			var err error
			page, err = devices.list(tx, q)
			return err
		}
		filters, err := devices.encodeFilters(q.Filters)
		if err != nil {
			return err
		}
		var keep func(id uint64) bool
		if len(filters) > 0 {
			post := devices.postFilter(filters, -1)
			keep = func(id uint64) bool { return post(devices.filterTuple(tx, id)) }
		}
		page, err = deviceSearch.search(tx, search, q, keep)
		return err
	})
	return page, err
}

// CountDevices splits the devices matching filters by status or
// location_id (by), from the kept counts: the board's columns in one read.
func (s *Store) CountDevices(by string, filters map[string]string) (map[string]int, error) {
	if by != "status" && by != "location_id" {
		return nil, Invalid("by", "must be status or location_id")
	}
	var out map[string]int
	err := s.view(func(tx *bolt.Tx) error {
		enc, err := devices.encodeFilters(filters)
		if err != nil {
			return err
		}
		out, err = devices.countBy(tx, by, enc)
		return err
	})
	return out, err
}

// sellerDevicesInStock refuses to delete a customer who sold the shop a
// device still in stock (the shop must be able to say whom it bought it
// from), naming the first few.
func sellerDevicesInStock(tx *bolt.Tx, customerID uint64) error {
	var held []string
	err := devices.eachID(tx, "seller_customer_id", orderedUint(customerID), func(id uint64) error {
		d, err := getRecord[StockDevice](tx, devices.records, id, "device")
		if err == nil && inStock(d.Status) {
			held = append(held, fmt.Sprint(id))
		}
		return err
	})
	if err != nil || len(held) == 0 {
		return err
	}
	return Conflict("customer sold the shop %d device(s) still in stock (device %s); sell or scrap them before deleting the customer",
		len(held), strings.Join(held[:min(len(held), 5)], ", "))
}
