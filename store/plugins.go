package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bucketPlugins = []byte("plugins") // plugin id -> Plugin JSON

// Plugin is an installed plugin: its manifest as approved, the scopes its
// key holds, and a newer version's manifest waiting for the owner's approval.
type Plugin struct {
	ID              string          `json:"id"` // the manifest's id
	Name            string          `json:"name"`
	Version         string          `json:"version"`
	Manifest        PluginManifest  `json:"manifest"`
	Scopes          []string        `json:"scopes"`         // granted: what its key holds
	PendingScopes   []string        `json:"pending_scopes"` // a newer version's, until approved
	PendingManifest *PluginManifest `json:"pending_manifest"`
	KeyID           uint64          `json:"key_id"`
	WebhookIDs      []uint64        `json:"webhook_ids"`
	InstalledBy     Actor           `json:"installed_by"`
	CreatedAt       time.Time       `json:"created_at"`
	UpdatedAt       time.Time       `json:"updated_at"`
	ApprovedAt      *time.Time      `json:"approved_at,omitempty"`
}

// PluginActor is who the plugin is when it acts or owns something: its
// key's id, under its name, so its notes and changes read "by <name>".
func (p Plugin) PluginActor() Actor { return Actor{Type: ActorPlugin, ID: p.KeyID, Name: p.Name} }

func newWebhookSecret() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b), nil
}

func getPlugin(tx *bolt.Tx, id string) (*Plugin, error) {
	raw := tx.Bucket(bucketPlugins).Get([]byte(id))
	if raw == nil {
		return nil, notFound("plugin")
	}
	var p Plugin
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

func putPlugin(tx *bolt.Tx, p *Plugin) error {
	if p.PendingScopes == nil {
		p.PendingScopes = []string{}
	}
	if p.WebhookIDs == nil {
		p.WebhookIDs = []uint64{}
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketPlugins).Put([]byte(p.ID), raw)
}

// Plugin returns one installed plugin.
func (s *Store) Plugin(id string) (Plugin, error) {
	var out Plugin
	err := s.view(func(tx *bolt.Tx) error {
		p, err := getPlugin(tx, id)
		if err == nil {
			out = *p
		}
		return err
	})
	return out, err
}

// ListPlugins lists installed plugins by id.
func (s *Store) ListPlugins() ([]Plugin, error) {
	out := []Plugin{}
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPlugins).ForEach(func(_, v []byte) error {
			var p Plugin
			if err := json.Unmarshal(v, &p); err != nil {
				return err
			}
			out = append(out, p)
			return nil
		})
	})
	return out, err
}

// PluginByKey is the plugin whose key has id keyID.
func (s *Store) PluginByKey(keyID uint64) (Plugin, error) {
	list, err := s.ListPlugins()
	if err != nil {
		return Plugin{}, err
	}
	for _, p := range list {
		if p.KeyID == keyID {
			return p, nil
		}
	}
	return Plugin{}, notFound("plugin")
}

// InstalledPlugin is the answer to an install or upgrade: the plugin, its
// key's secret (only on a first install), and the secrets of webhooks made
// now, each shown this once.
type InstalledPlugin struct {
	Plugin
	Key            string            `json:"key,omitempty"`
	WebhookSecrets map[uint64]string `json:"webhook_secrets,omitempty"`
	Upgraded       bool              `json:"upgraded"`
	Pending        bool              `json:"pending"` // the newer version waits for approval
}

// InstallPlugin installs m, made by the principal in ctx (the request is the
// approval): a KeyPlugin key with m's scopes, and m's webhooks in the portal
// format owned by the plugin, all in one transaction with plugin.installed.
// The second result is the key's secret (pk_live_…), shown once.
//
// A plugin already installed is upgraded by a newer version: at once when it
// asks no scope the plugin lacks, else it waits (PendingManifest) for
// ApprovePlugin while the old version and scopes hold. The same or an older
// version is a conflict.
func (s *Store) InstallPlugin(ctx context.Context, m PluginManifest, sealer *Sealer) (Plugin, string, error) {
	out, err := s.InstallPluginDetail(ctx, m, sealer)
	return out.Plugin, out.Key, err
}

// InstallPluginDetail is InstallPlugin with the webhook secrets and whether
// it was an upgrade.
func (s *Store) InstallPluginDetail(ctx context.Context, m PluginManifest, sealer *Sealer) (InstalledPlugin, error) {
	if err := m.Validate(); err != nil {
		return InstalledPlugin{}, err
	}
	if sealer == nil {
		return InstalledPlugin{}, errors.New("installing a plugin needs a sealer")
	}
	by := ActorFrom(ctx)
	var out InstalledPlugin
	err := s.update(ctx, func(tx *bolt.Tx) error {
		out = InstalledPlugin{}
		old, err := getPlugin(tx, m.ID)
		switch {
		case errors.Is(err, ErrNotFound):
			return s.installTx(tx, m, by, sealer, &out)
		case err != nil:
			return err
		}
		if CompareVersions(m.Version, old.Version) <= 0 {
			return Conflict("plugin %s is already installed at version %s; install a newer version to upgrade it", m.ID, old.Version)
		}
		out.Upgraded = true
		if extra := without(m.Scopes, old.Scopes...); len(extra) > 0 {
			pm := m
			old.PendingManifest, old.PendingScopes = &pm, slices.Clone(m.Scopes)
			old.UpdatedAt = s.clock()
			out.Pending = true
			out.Plugin = *old
			return putPlugin(tx, old)
		}
		return s.applyManifestTx(tx, old, m, sealer, &out)
	})
	if err == nil {
		s.keys.reset()
	}
	return out, err
}

func (s *Store) installTx(tx *bolt.Tx, m PluginManifest, by Actor, sealer *Sealer, out *InstalledPlugin) error {
	secret, err := randomBase62(32)
	if err != nil {
		return err
	}
	full := keyPrefixes[KeyPlugin] + secret
	id, err := tx.Bucket(bucketKeys).NextSequence()
	if err != nil {
		return err
	}
	now := s.clock()
	rec := keyRecord{APIKey: APIKey{ID: id, Type: KeyPlugin, Name: m.Name, Prefix: keyPrefixes[KeyPlugin],
		Last4: secret[len(secret)-4:], Scopes: slices.Clone(m.Scopes), Tier: DefaultTier(KeyPlugin), Mode: Live,
		PluginID: m.ID, CreatedAt: now}, Hash: hashKey(full)}
	if rec.Scopes == nil {
		rec.Scopes = []string{}
	}
	if err := putKeyRecord(tx, &rec); err != nil {
		return err
	}
	if err := tx.Bucket(bucketKeyHashes).Put(rec.Hash, itob(id)); err != nil {
		return err
	}
	p := &Plugin{ID: m.ID, Name: m.Name, KeyID: id, InstalledBy: by, CreatedAt: now}
	out.Key = full
	if err := s.applyManifestTx(tx, p, m, sealer, out); err != nil {
		return err
	}
	_, err = s.appendEvent(tx, "plugin.installed", ordered{}.with("plugin_id", m.ID).with("name", m.Name).
		with("version", m.Version).with("scopes", p.Scopes))
	return err
}

func putKeyRecord(tx *bolt.Tx, r *keyRecord) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketKeys).Put(itob(r.ID), raw)
}

// applyManifestTx makes m the plugin's approved manifest: its key's scopes,
// and its webhooks (one per URL, portal format, owned by the plugin): kept
// where the URL stays (with their secrets), made where it is new, removed
// where it is gone.
func (s *Store) applyManifestTx(tx *bolt.Tx, p *Plugin, m PluginManifest, sealer *Sealer, out *InstalledPlugin) error {
	now := s.clock()
	k, err := getRecord[keyRecord](tx, bucketKeys, p.KeyID, "key")
	if err != nil {
		return err
	}
	k.Scopes, k.Name = slices.Clone(m.Scopes), m.Name
	if k.Scopes == nil {
		k.Scopes = []string{}
	}
	if err := putKeyRecord(tx, k); err != nil {
		return err
	}
	p.Name, p.Version, p.Manifest, p.Scopes = m.Name, m.Version, m, slices.Clone(k.Scopes)
	p.PendingManifest, p.PendingScopes, p.UpdatedAt = nil, []string{}, now
	owner := p.PluginActor()
	byURL := map[string][]string{}
	var urls []string
	for _, w := range m.Webhooks {
		if _, ok := byURL[w.URL]; !ok {
			urls = append(urls, w.URL)
		}
		if !slices.Contains(byURL[w.URL], w.Event) {
			byURL[w.URL] = append(byURL[w.URL], w.Event)
		}
	}
	var keep []uint64
	for _, id := range p.WebhookIDs {
		w, err := s.getWebhook(tx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		events, ok := byURL[w.URL]
		if !ok {
			if err := s.deleteWebhookTx(tx, id); err != nil {
				return err
			}
			continue
		}
		delete(byURL, w.URL)
		w.Events, w.Owner, w.ReadScopes, w.UpdatedAt = events, owner, ReadScopes(p.Scopes), now
		w.Description = "Plugin " + m.Name
		if err := putWebhook(tx, w); err != nil {
			return err
		}
		keep = append(keep, id)
	}
	for _, u := range urls {
		events, ok := byURL[u]
		if !ok {
			continue
		}
		secret, err := newWebhookSecret()
		if err != nil {
			return err
		}
		sealed, err := sealer.Seal([]byte(secret))
		if err != nil {
			return err
		}
		id, err := tx.Bucket(bucketWebhooks).NextSequence()
		if err != nil {
			return err
		}
		w := Webhook{ID: id, URL: u, Description: "Plugin " + m.Name, Events: events, Format: "portal", Enabled: true,
			ReadScopes: ReadScopes(p.Scopes), Owner: owner, CreatedAt: now, UpdatedAt: now}
		if err := putWebhook(tx, &webhookRecord{Webhook: w, Secret: sealed, FromSeq: tx.Bucket(bucketEvents).Sequence()}); err != nil {
			return err
		}
		if out.WebhookSecrets == nil {
			out.WebhookSecrets = map[uint64]string{}
		}
		out.WebhookSecrets[id] = secret
		keep = append(keep, id)
	}
	sort.Slice(keep, func(i, j int) bool { return keep[i] < keep[j] })
	p.WebhookIDs = keep
	out.Plugin = *p
	return putPlugin(tx, p)
}

// ApprovePlugin applies the pending newer version: its scopes become the
// key's, its webhooks replace the old version's. ErrNotFound-like conflict
// when nothing waits.
func (s *Store) ApprovePlugin(ctx context.Context, id string, sealer *Sealer) (InstalledPlugin, error) {
	var out InstalledPlugin
	err := s.update(ctx, func(tx *bolt.Tx) error {
		out = InstalledPlugin{Upgraded: true}
		p, err := getPlugin(tx, id)
		if err != nil {
			return err
		}
		if p.PendingManifest == nil {
			return Conflict("plugin %s has no newer version waiting for approval", id)
		}
		m := *p.PendingManifest
		if err := s.applyManifestTx(tx, p, m, sealer, &out); err != nil {
			return err
		}
		now := s.clock()
		p.ApprovedAt = &now
		out.Plugin = *p
		if err := putPlugin(tx, p); err != nil {
			return err
		}
		_, err = s.appendEvent(tx, "plugin.installed", ordered{}.with("plugin_id", p.ID).with("name", p.Name).
			with("version", p.Version).with("scopes", p.Scopes).with("approved_upgrade", true))
		return err
	})
	if err == nil {
		s.keys.reset()
	}
	return out, err
}

// UninstallPlugin removes a plugin in one transaction: its key is revoked,
// its webhooks deleted (queued deliveries end as failed), and
// plugin.uninstalled is logged.
func (s *Store) UninstallPlugin(ctx context.Context, id string) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		p, err := getPlugin(tx, id)
		if err != nil {
			return err
		}
		k, err := getRecord[keyRecord](tx, bucketKeys, p.KeyID, "key")
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if k != nil && k.RevokedAt == nil {
			now := s.clock()
			k.RevokedAt = &now
			if err := putKeyRecord(tx, k); err != nil {
				return err
			}
		}
		// Every webhook the plugin owns, listed or not.
		var owned []uint64
		if err := tx.Bucket(bucketWebhooks).ForEach(func(kb, _ []byte) error {
			w, err := s.getWebhook(tx, btoi(kb))
			if err != nil {
				return err
			}
			if w.Owner.Type == ActorPlugin && w.Owner.ID == p.KeyID {
				owned = append(owned, w.ID)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, wid := range owned {
			if err := s.deleteWebhookTx(tx, wid); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketPlugins).Delete([]byte(id)); err != nil {
			return err
		}
		_, err = s.appendEvent(tx, "plugin.uninstalled", ordered{}.with("plugin_id", p.ID).with("name", p.Name).
			with("version", p.Version))
		return err
	})
	if err == nil {
		s.keys.reset()
	}
	return err
}

// IsPluginWebhook says whether w belongs to a plugin (only that plugin may
// change it; uninstalling removes it).
func IsPluginWebhook(w Webhook) bool { return w.Owner.Type == ActorPlugin }
