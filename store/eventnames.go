package store

import (
	"slices"
	"strings"
)

// EventNames are every event the appliance emits or will emit (API.md
// "Events"); webhooks and the live feed subscribe to these names.
var EventNames = []string{
	"ticket.created", "ticket.updated", "ticket.status_changed", "ticket.assigned", "ticket.note_added",
	"ticket.line_item_added", "ticket.attachment_added", "ticket.closed", "ticket.reopened",
	"attachment.updated", "attachment.deleted",
	"customer.attachment_added", "device.attachment_added", "proposal.attachment_added",
	"customer.created", "customer.updated", "customer.deleted", "customer.portal_link_revoked",
	"payment.received", "payment.status_changed", "payment.refunded",
	"catalog.item_created", "catalog.item_updated", "inventory.adjusted", "inventory.low_stock",
	"device.received", "device.status_changed", "device.sold", "device.updated",
	"purchase_order.created", "purchase_order.updated", "purchase_order.status_changed", "purchase_order.received",
	"supplier.created", "supplier.updated",
	"proposal.created", "proposal.updated", "proposal.status_changed", "proposal.outline_status_changed", "proposal.build_status_changed",
	"visitor.pre_registered", "visitor.checked_in", "visitor.checked_out", "visitor.cancelled",
	"contractor.created", "contractor.updated", "contractor.approved", "contractor.rejected",
	"contractor.checked_in", "contractor.checked_out",
	"evacuation.activated", "evacuation.person_safe", "evacuation.ended",
	"store.updated", "location.created", "location.updated", "plugin.installed", "plugin.uninstalled", "webhook.disabled", "webhook.secret_revealed",
}

// KnownEvent reports whether name is one of EventNames.
func KnownEvent(name string) bool { return slices.Contains(EventNames, name) }

// eventAreaResource maps an event's area (before the dot) to the resource
// whose read scope its data needs.
var eventAreaResource = map[string]string{
	"ticket": "tickets", "customer": "customers", "payment": "payments", "catalog": "catalog",
	"inventory": "inventory", "device": "devices", "purchase_order": "purchase_orders", "supplier": "purchase_orders", "proposal": "proposals", "attachment": "files",
	"visitor": "visitors", "contractor": "contractors", "evacuation": "evacuation", "store": "store", "location": "locations",
	"plugin": "plugins", "webhook": "webhooks",
}

// eventAlsoNeeds names the second read scope of events whose data holds
// another resource's record: a ticket's new attachment describes a file,
// so its readers need files.read as well as tickets.read.
var eventAlsoNeeds = map[string]string{
	"ticket.attachment_added":   "files.read",
	"customer.attachment_added": "files.read",
	"device.attachment_added":   "files.read",
	"proposal.attachment_added": "files.read",
}

// EventScopes are the read scopes an event's data needs, all of them ([""]
// for unknown areas, which nobody holds).
func EventScopes(name string) []string {
	area, _, _ := strings.Cut(name, ".")
	r, ok := eventAreaResource[area]
	if !ok {
		return []string{""}
	}
	if also := eventAlsoNeeds[name]; also != "" {
		return []string{r + ".read", also}
	}
	return []string{r + ".read"}
}

// EventScope is the first read scope an event's data needs, for messages
// that name one.
func EventScope(name string) string { return EventScopes(name)[0] }

// LackedEventScope is the first scope an event needs that has does not
// grant, and whether there is one.
func LackedEventScope(name string, has func(scope string) bool) (string, bool) {
	for _, sc := range EventScopes(name) {
		if !has(sc) {
			return sc, true
		}
	}
	return "", false
}
