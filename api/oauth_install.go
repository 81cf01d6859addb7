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
// second key nor a code that opens nothing.
func (s *Server) installForOAuth(ctx context.Context, m store.PluginManifest, by store.Actor) ([]string, string, error) {
	if p, err := s.cfg.Live.Plugin(m.ID); err == nil {
		return nil, "", fmt.Errorf("%s is already installed (version %s); uninstall it first, or upgrade it in Settings → Plugins", p.Name, p.Version)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, "", err
	}
	p, secret, err := s.cfg.Live.InstallPlugin(store.WithActor(ctx, by), m, s.cfg.Sealer)
	if err != nil {
		return nil, "", err
	}
	if secret == "" {
		return nil, "", errors.New("the plugin store issued no key")
	}
	return p.Scopes, secret, nil
}
