package api

import (
	"context"
	"encoding/json"

	"portal/store"
)

// installForOAuth installs the manifest the owner approved and answers the
// scopes granted and the plugin's pk_live_ secret.
//
// Until the plugin store lands this mints the plugin's key directly.
func (s *Server) installForOAuth(ctx context.Context, raw json.RawMessage, by store.Actor) ([]string, string, error) {
	var m oauthManifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, "", err
	}
	k, err := s.cfg.Live.CreateKey(ctx, store.KeyInput{Type: store.KeyPlugin, Name: m.Name, Scopes: m.Scopes}, s.cfg.Sealer)
	if err != nil {
		return nil, "", err
	}
	return k.Scopes, k.Secret, nil
}
