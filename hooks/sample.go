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
		`"created_at":"2026-03-15T15:00:00Z"}`,
	"store":   `{"name":"My Repair Shop","email":"","phone":"","address":"","timezone":"UTC","currency":"USD","tax_rate":8.875}`,
	"webhook": `{"id":3,"url":"https://example.com/hooks","description":"","events":["*"],"format":"portal","enabled":false}`,
}

// SampleData is the data object of a sample event called name:
// {"<resource>_id": …, "<resource>": {…}}, as real events carry.
func SampleData(name string) json.RawMessage {
	resource, _, _ := strings.Cut(name, ".")
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
	return json.RawMessage(`{"` + resource + `_id":` + string(id.ID) + `,"` + resource + `":` + rec + `}`)
}
