package store

import (
	"slices"
	"testing"
)

// A declaration's events are real event names whose data its own read scope
// guards: a webhook or live subscriber reading them needs exactly that scope.
func TestDeclaredEventsAreKnownAndGuardedByTheirScope(t *testing.T) {
	for _, d := range Declared() {
		if len(d.Events) == 0 || !slices.Contains(scopeResources, d.Scope) {
			t.Errorf("%s declares events %v and scope %q", d.Resource, d.Events, d.Scope)
		}
		for _, e := range d.Events {
			if !KnownEvent(e) || EventScope(e) != d.Scope+".read" {
				t.Errorf("%s: event %s known %v, guarded by %q, want %s.read", d.Resource, e, KnownEvent(e), EventScope(e), d.Scope)
			}
		}
	}
}
