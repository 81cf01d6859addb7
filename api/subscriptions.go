package api

import (
	"net/http"
	"slices"
	"strings"

	"portal/hooks"
	"portal/store"
)

// A subscription that can never fire is refused: an event carries its
// record, so a webhook only ever receives events whose records its owner
// may read, and asking for others would be a silent dead end.

// unreadableEvent is a requested pattern the principal could never receive.
type unreadableEvent struct {
	pattern string
	scope   string // the read scope it needs; "" for "*" when nothing is readable
}

// unreadable lists the requested patterns the principal could never receive
// (patterns that are not event names are left to the store's validation).
// "*" asks for whatever the principal may read, so it is refused only when
// that is nothing.
func (p *Principal) unreadable(format string, patterns []string) []unreadableEvent {
	var out []unreadableEvent
	for _, pattern := range patterns {
		if pattern == "*" {
			if !slices.ContainsFunc(store.EventNames, p.canSeeEvent) {
				out = append(out, unreadableEvent{pattern: pattern})
			}
			continue
		}
		one := store.Webhook{Format: format, Events: []string{pattern}}
		for _, name := range store.EventNames {
			if need, lacks := store.LackedEventScope(name, p.Can); hooks.Subscribed(&one, name) && lacks {
				out = append(out, unreadableEvent{pattern, need})
				break
			}
		}
	}
	return out
}

// checkSubscribable answers as our API does: 422 naming each event and the
// scope it needs.
func (p *Principal) checkSubscribable(format string, events []string) error {
	lack := p.unreadable(format, events)
	if len(lack) == 0 {
		return nil
	}
	details := make([]store.FieldError, len(lack))
	for i, l := range lack {
		msg := l.pattern + " needs " + l.scope + ", which this key does not hold"
		if l.scope == "" {
			msg = `"*" would carry nothing: this key may read no event's record (tickets.read, customers.read, …)`
		}
		details[i] = store.FieldError{Field: "events", Message: msg}
	}
	return &apiError{Code: "VALIDATION_ERROR", Status: http.StatusUnprocessableEntity,
		Message: "Invalid events: " + details[0].Message, Details: details}
}

// pioCheckSubscribable answers as Portal.io does: 403 naming the missing scopes.
func (p *Principal) pioCheckSubscribable(events []string) error {
	var scopes []string
	for _, l := range p.unreadable("portalio", events) {
		scope := l.scope
		if scope == "" {
			scope = "the read scope of any event"
		}
		if !slices.Contains(scopes, scope) {
			scopes = append(scopes, scope)
		}
	}
	if len(scopes) == 0 {
		return nil
	}
	return &pioError{http.StatusForbidden, "this user key may not read what these events carry; it lacks " + strings.Join(scopes, ", ")}
}
