package hooks

import (
	"encoding/json"
	"strings"
)

// Sample records for "Send test" and `portal trigger`: what a receiver will
// see for real, with made-up values.
var sampleRecords = map[string]string{
	"ticket": `{"id":1042,"number":2042,"customer_id":7,"device":{"brand":"Apple","model":"iPhone 13","serial":"","imei":""},` +
		`"issue":"Cracked screen","status":"In Progress","assigned_to":null,"priority":"normal","due_at":null,"tax_rate":8.875,` +
		`"totals":{"subtotal":129.00,"tax":11.45,"total":140.45,"paid":0.00,"balance":140.45},` +
		`"created_at":"2026-03-15T14:00:00Z","updated_at":"2026-03-15T14:22:00Z","closed_at":null}`,
	"customer": `{"id":7,"name":"Ada Lovelace","email":"ada@example.com","phone":"+44 20 7946 0018","company":"",` +
		`"address":"","notes":"","created_at":"2026-03-15T14:00:00Z","updated_at":"2026-03-15T14:00:00Z"}`,
	"payment": `{"id":311,"ticket_id":1042,"amount":140.45,"method":"card","reference":"","status":"completed",` +
		`"created_at":"2026-03-15T15:00:00Z","refunded":0.00,"refunds":[],"voided_at":null}`,
	"catalog": `{"id":12,"sku":"SCR-IP13","name":"iPhone 13 screen","kind":"part","price":89.00,"cost":41.50,"taxable":true,` +
		`"reorder_level":3,"supplier_id":0,"barcode":"","allow_backorder":false,"created_at":"2026-03-15T09:00:00Z","updated_at":"2026-03-15T09:00:00Z"}`,
	"device":         `{"id":55,"brand":"Samsung","model":"Galaxy S22","imei":"356938035643809","serial":"","grade":"B","storage":"128 GB","colour":"Phantom Black","purchase_price":180.00,"asking_price":420.00,"sale_price":null,"seller_customer_id":7,"buyer_customer_id":null,"location_id":1,"notes":"","status":"listed","status_history":[{"from":null,"to":"acquired","at":"2026-03-10T10:00:00Z","actor":{"type":"user","id":3,"name":"Sam"}},{"from":"acquired","to":"testing","at":"2026-03-11T09:00:00Z","actor":{"type":"user","id":3,"name":"Sam"}},{"from":"testing","to":"listed","at":"2026-03-12T16:00:00Z","actor":{"type":"user","id":3,"name":"Sam"}}],"sold_at":null,"created_at":"2026-03-10T10:00:00Z","updated_at":"2026-03-12T16:00:00Z"}`,
	"purchase_order": `{"id":8,"number":"PO-1008","supplier_id":3,"location_id":1,"status":"ordered","lines":[{"item_id":12,"sku":"SCR-IP13","name":"iPhone 13 screen","quantity":10,"unit_cost":41.20,"received":0,"total":412.00}],"notes":"","totals":{"quantity":10,"received":0,"outstanding":10,"total":412.00,"received_total":0.00},"ordered_at":"2026-03-15T14:22:00Z","received_at":null,"cancelled_at":null,"created_at":"2026-03-15T14:00:00Z","updated_at":"2026-03-15T14:22:00Z"}`,
	"supplier":       `{"id":3,"name":"Parts Co","contact":"Dana Reyes","email":"orders@partsco.example.com","phone":"+1 503 555 0142","notes":"","created_at":"2026-03-15T14:00:00Z","updated_at":"2026-03-15T14:00:00Z"}`,
	"proposal": `{"id":25,"number":1025,"name":"Office AV refresh","customer_id":7,"ticket_id":1042,"status":"Accepted",` +
		`"outline_status":"Completed","build_status":"Completed","expires_at":"2026-03-29T00:00:00Z","tax_rate":8.875,` +
		`"areas":[{"name":"Meeting room","chosen_option":0,"options":[{"name":"Wall display","client_description":"65-inch display, wall mounted",` +
		`"internal_notes":"","line_items":[{"catalog_item_id":12,"kind":"product","description":"65-inch display","quantity":1,"unit_price":899.00,"taxable":true,"total":899.00},` +
		`{"catalog_item_id":null,"kind":"service","description":"Mounting","quantity":1.5,"unit_price":80.00,"taxable":true,"total":120.00}],` +
		`"summary":{"parts":899.00,"labor":120.00,"fees":0.00,"subtotal":1019.00,"tax":90.44,"total":1109.44}}]}],` +
		`"summary":{"parts":899.00,"labor":120.00,"fees":0.00,"subtotal":1019.00,"tax":90.44,"total":1109.44},` +
		`"status_history":[{"from":null,"to":"Draft","at":"2026-03-15T14:00:00Z","by":"Sam"},{"from":"Draft","to":"Submitted","at":"2026-03-15T14:10:00Z","by":"Sam"},` +
		`{"from":"Submitted","to":"Accepted","at":"2026-03-15T14:22:00Z","by":"Sam"}],"acceptance":null,"decline_reason":null,` +
		`"created_at":"2026-03-15T14:00:00Z","updated_at":"2026-03-15T14:22:00Z"}`,
	"visitor": `{"id":7,"name":"Ada Lovelace","host":"Grace Hopper","location_id":1,"status":"checked_in",` +
		`"checked_in_at":"2026-03-15T09:00:00Z","checked_out_at":null}`,
	"contractor": `{"id":4,"company":"Bright Sparks Electrical","name":"Sam Spark","email":"sam@brightsparks.example","phone":"",` +
		`"status":"approved","rejection_reason":"","induction_expires_on":"2026-12-31","insurance_expires_on":"2027-03-31",` +
		`"on_site_location_id":0,"checked_in_at":null,"created_at":"2026-03-15T09:00:00Z","updated_at":"2026-03-15T09:30:00Z"}`,
	"evacuation": `{"id":2,"location_id":0,"status":"active","activated_at":"2026-03-15T11:00:00Z","ended_at":null,` +
		`"total":12,"safe":0,"unaccounted":12,"locations":[{"location_id":1,"name":"Main Street","total":12,"safe":0,"unaccounted":12}],"summary":null}`,
	"plugin":  `{"id":3,"name":"QuickBooks Sync","version":"1.2.0"}`,
	"store":   `{"name":"My Repair Shop","email":"","phone":"","address":"","timezone":"UTC","currency":"USD","tax_rate":8.875}`,
	"webhook": `{"id":3,"url":"https://example.com/hooks","description":"","events":["*"],"format":"portal","enabled":false}`,
}

// sampleEvents are the data of sample events whose shape is not
// {"<resource>_id", "<resource>"}, by area.
var sampleEvents = map[string]string{
	"attachment": `{"attachment_id":9}`,
	"catalog":    `{"catalog_item_id":12,"catalog_item":` + sampleRecords["catalog"] + `}`,
	"inventory": `{"item_id":12,"location_id":1,"adjustment_id":40,"delta":-1,"reason":"sale","ref":"ticket:1042/line:3","quantity":2,` +
		`"adjustment":{"id":40,"item_id":12,"location_id":1,"delta":-1,"reason":"sale","ref":"ticket:1042/line:3","note":"",` +
		`"quantity_after":2,"actor":{"type":"user","id":3,"name":"Sam"},"created_at":"2026-03-15T14:30:00Z"},` +
		`"stock_level":{"id":5,"item_id":12,"location_id":1,"quantity":2,"low_stock":true,"created_at":"2026-03-15T09:00:00Z","updated_at":"2026-03-15T14:30:00Z"}}`,
}

// sampleMoves are the "from" and "to" that status events add after the
// record, by event name.
var sampleMoves = map[string]string{
	"proposal.status_changed":         `"from":"Submitted","to":"Accepted"`,
	"proposal.outline_status_changed": `"from":"Generating","to":"Completed"`,
	"proposal.build_status_changed":   `"from":"Building","to":"Completed"`,
}

// SampleData is the data object of a sample event called name:
// {"<resource>_id": …, "<resource>": {…}}, as real events carry (and
// "from", "to" after it for a proposal's status events).
func SampleData(name string) json.RawMessage {
	resource, _, _ := strings.Cut(name, ".")
	if data, ok := sampleEvents[resource]; ok {
		return json.RawMessage(data)
	}
	rec, ok := sampleRecords[resource]
	if !ok {
		return json.RawMessage(`{"sample":true}`)
	}
	var id struct {
		ID json.RawMessage `json:"id"`
	}
	json.Unmarshal([]byte(rec), &id)
	if resource == "store" {
		return json.RawMessage(`{"store":` + rec + `}`)
	}
	if move, ok := sampleMoves[name]; ok {
		rec += "," + move
	}
	return json.RawMessage(`{"` + resource + `_id":` + string(id.ID) + `,"` + resource + `":` + rec + `}`)
}
