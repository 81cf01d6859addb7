package api_test

// walkManifest is a small valid manifest for the walks.
func walkManifest() map[string]any {
	return map[string]any{"manifest_version": 1, "id": "walk-plugin", "name": "Walk Plugin", "version": "1.0.0",
		"author": map[string]any{"name": "Walk"}, "scopes": []string{"tickets.read"},
		"webhooks": []any{map[string]any{"event": "ticket.created", "url": "https://hooks.example.com/walk"}}}
}
