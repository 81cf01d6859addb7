package api

import (
	"context"
	"errors"
	"fmt"

	"portal/store"
)

// installForOAuth installs the manifest the owner approved, as the owner,
// and answers the scopes granted and the plugin's pk_live_ secret. A plugin
// already installed is refused here: its key exists already and upgrades
// are approved in Settings → Plugins, so an OAuth flow never hands out a
// second key — unless this flow installed it and no code ever delivered its
// key, when it is installed afresh.
func (s *Server) installForOAuth(ctx context.Context, m store.PluginManifest, by store.Actor) ([]string, string, error) {
	ctx = store.WithActor(ctx, by)
	if p, err := s.cfg.Live.Plugin(m.ID); err == nil {
		s.oauth.mu.Lock()
		keyID, replace := s.oauth.undelivered[m.ID]
		s.oauth.mu.Unlock()
		if !replace || keyID != p.KeyID {
			return nil, "", fmt.Errorf("%s is already installed (version %s); uninstall it first, or upgrade it in Settings → Plugins", p.Name, p.Version)
		}
		// This flow installed it and its key never reached the plugin
		// (the code expired or was spent): install it afresh.
		if err := s.cfg.Live.UninstallPlugin(ctx, m.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, "", err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, "", err
	}
	p, secret, err := s.cfg.Live.InstallPlugin(ctx, m, s.cfg.Sealer)
	if err != nil {
		return nil, "", err
	}
	if secret == "" {
		return nil, "", errors.New("the plugin store issued no key")
	}
	s.oauth.mu.Lock()
	s.oauth.undelivered[m.ID] = p.KeyID
	s.oauth.mu.Unlock()
	return p.Scopes, secret, nil
}
