package store

import (
	"fmt"
	"strings"
)

// Resources that scopes guard; each has .read (GET) and .write (everything else).
var scopeResources = []string{
	"tickets", "customers", "payments", "files", "catalog", "inventory", "devices",
	"purchase_orders", "proposals", "store", "users", "visitors", "locations",
	"contractors", "evacuation", "webhooks", "events", "plugins", "keys",
}

// BackupScope lets its holder download a backup: every record of both
// stores and the seal key, so only the owner's role has it.
const BackupScope = "backup.read"

// AllScopes lists every scope a key can hold, plus "live" for the websocket
// feed and BackupScope.
func AllScopes() []string {
	out := make([]string, 0, 2*len(scopeResources)+2)
	for _, r := range scopeResources {
		out = append(out, r+".read", r+".write")
	}
	return append(out, BackupScope, "live")
}

// ValidScope reports whether s names a scope.
func ValidScope(s string) bool {
	for _, x := range AllScopes() {
		if x == s {
			return true
		}
	}
	return false
}

// RoleScopes is what a staff role may do, in the UI or through a user key.
func RoleScopes(role string) []string {
	all := AllScopes()
	switch role {
	case "owner":
		return all
	case "manager":
		return without(all, "keys.write", "plugins.write", BackupScope)
	case "technician":
		return []string{"tickets.read", "tickets.write", "customers.read", "catalog.read", "inventory.read",
			"inventory.write", "devices.read", "devices.write", "store.read", "users.read", "files.read",
			"files.write", "events.read", "live",
			// A technician reads the quote of the repair in hand; pricing and
			// sending quotes is the desk's and the managers'.
			"proposals.read"}
	case "front_desk": // the desk signs visitors in and, in an emergency, runs the roll call; it sells from the catalog
		return []string{"tickets.read", "tickets.write", "customers.read", "customers.write", "payments.read",
			"payments.write", "catalog.read", "inventory.read", "store.read", "users.read", "visitors.read", "visitors.write", "locations.read",
			"contractors.read", "evacuation.read", "evacuation.write", "files.read", "files.write", "events.read", "live",
			"proposals.read", "proposals.write"} // the desk quotes the customer in front of it
	}
	return nil
}

// Roles a staff user can have.
var Roles = []string{"owner", "manager", "technician", "front_desk"}

func without(list []string, drop ...string) []string {
	var out []string
	for _, s := range list {
		if !contains(drop, s) {
			out = append(out, s)
		}
	}
	return out
}

// CheckScopes accepts only exact scope names, each once: a name with a space,
// another case or a look-alike letter is refused, naming it, before anyone
// checks what the caller may grant, so nothing is normalised after a check.
func CheckScopes(in []string) error {
	var p Problems
	seen := map[string]bool{}
	for _, s := range in {
		switch {
		case !ValidScope(s):
			p.Add("scopes", fmt.Sprintf("unknown scope %q (scopes are exact names such as tickets.read)", s))
		case seen[s]:
			p.Add("scopes", fmt.Sprintf("scope %q is listed twice", s))
		}
		seen[s] = true
	}
	return p.Err()
}

// ReadScopes keeps the .read scopes of a list.
func ReadScopes(scopes []string) []string {
	out := []string{}
	for _, s := range scopes {
		if strings.HasSuffix(s, ".read") {
			out = append(out, s)
		}
	}
	return out
}
