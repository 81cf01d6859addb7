package store

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// PluginManifest is a plugin's portal-plugin.json (API.md "plugins", seed 000's
// example). It is what the owner approves: its scopes become the plugin's
// key's, its webhooks are registered as the plugin's own.
type PluginManifest struct {
	ManifestVersion int               `json:"manifest_version"`
	ID              string            `json:"id"`
	Name            string            `json:"name"`
	Version         string            `json:"version"`
	Description     string            `json:"description,omitempty"`
	Author          ManifestAuthor    `json:"author"`
	Category        string            `json:"category,omitempty"`
	Pricing         *ManifestPricing  `json:"pricing,omitempty"`
	Scopes          []string          `json:"scopes"`
	Webhooks        []ManifestWebhook `json:"webhooks,omitempty"`
	Widgets         []ManifestWidget  `json:"widgets,omitempty"`
	SettingsURL     string            `json:"settings_url,omitempty"`
	OAuth           *ManifestOAuth    `json:"oauth,omitempty"`
}

// ManifestAuthor is who makes the plugin.
type ManifestAuthor struct {
	Name    string `json:"name"`
	Website string `json:"website,omitempty"`
	Email   string `json:"email,omitempty"`
}

// ManifestPricing is what the plugin costs (shown, never charged here).
type ManifestPricing struct {
	Model     string  `json:"model"`
	Price     float64 `json:"price"`
	TrialDays int     `json:"trial_days,omitempty"`
}

// ManifestWebhook is one event the plugin wants sent to url.
type ManifestWebhook struct {
	Event string `json:"event"`
	URL   string `json:"url"`
}

// ManifestWidget is one iframe the console shows in a place.
type ManifestWidget struct {
	ID       string `json:"id"`
	Location string `json:"location"`
	URL      string `json:"url"`
	Height   int    `json:"height,omitempty"`
}

// ManifestOAuth lists where the OAuth install may send the owner back.
type ManifestOAuth struct {
	RedirectURIs []string `json:"redirect_uris"`
}

// WidgetLocations are the places a widget may sit, with their maximum
// heights in pixels (0: unlimited), as seed 000 lists them.
var WidgetLocations = map[string]int{
	"ticket_sidebar": 300, "ticket_toolbar": 40, "customer_sidebar": 300,
	"dashboard_card": 400, "settings_panel": 0, "queue_banner": 80,
}

// WidgetLocationNames lists WidgetLocations in the order the docs give.
var WidgetLocationNames = []string{"ticket_sidebar", "ticket_toolbar", "customer_sidebar", "dashboard_card", "settings_panel", "queue_banner"}

// PricingModels are the manifest's pricing models.
var PricingModels = []string{"free", "one_time", "monthly", "yearly"}

// reservedPluginIDs are paths beside /plugins/{id} (GET /plugins/catalog).
var reservedPluginIDs = []string{"catalog", "install", "approve", "schema"}

// pluginForbiddenScopes are never a plugin's: backups carry the sealing key,
// and a plugin minting keys or installing plugins would outgrow its approval.
var pluginForbiddenScopes = []string{BackupScope, "keys.write", "plugins.write"}

var (
	pluginIDPattern  = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{1,62}[a-z0-9])$`)
	versionPattern   = regexp.MustCompile(`^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})(?:-([0-9A-Za-z.-]{1,40}))?$`)
	categoryPattern  = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)
	widgetIDPattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	emailLikePattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// manifestURL checks an absolute http(s) URL without credentials; http is
// accepted here and refused by the API outside the sandbox.
func manifestURL(p *Problems, field, raw string, required bool) {
	if raw == "" {
		if required {
			p.Add(field, "is required (an absolute https URL)")
		}
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(raw) > 2000 {
		p.Add(field, "must be an absolute https URL without credentials (at most 2000 characters)")
		return
	}
	if _, ascii := WebhookHost(u.Hostname()); !ascii {
		p.Add(field, "must be an ASCII host name; write an international name in its xn-- form")
	}
}

func textField(p *Problems, field, v string, required bool, max int) {
	n := utf8.RuneCountInString(v)
	switch {
	case required && strings.TrimSpace(v) == "":
		p.Add(field, fmt.Sprintf("is required (1 to %d characters)", max))
	case n > max:
		p.Add(field, fmt.Sprintf("must be at most %d characters", max))
	case v != strings.TrimSpace(v):
		p.Add(field, "must not begin or end with spaces")
	}
}

// Validate checks every field of the manifest and names each bad one
// (webhooks[0].url, widgets[1].height …), all at once.
func (m *PluginManifest) Validate() error {
	var p Problems
	if m.ManifestVersion != 1 {
		p.Add("manifest_version", "must be 1")
	}
	switch {
	case !pluginIDPattern.MatchString(m.ID):
		p.Add("id", "must be 3 to 64 lowercase letters, digits and inner hyphens (e.g. quickbooks-sync)")
	case contains(reservedPluginIDs, m.ID):
		p.Add("id", m.ID+" is reserved (a path under /plugins)")
	}
	textField(&p, "name", m.Name, true, 100)
	if !versionPattern.MatchString(m.Version) {
		p.Add("version", "must be a semantic version such as 1.2.0")
	}
	textField(&p, "description", m.Description, false, 500)
	textField(&p, "author.name", m.Author.Name, true, 100)
	manifestURL(&p, "author.website", m.Author.Website, false)
	if m.Author.Email != "" && (!emailLikePattern.MatchString(m.Author.Email) || len(m.Author.Email) > 254) {
		p.Add("author.email", "must be an email address")
	}
	if m.Category != "" && !categoryPattern.MatchString(m.Category) {
		p.Add("category", "must be 1 to 40 lowercase letters, digits, - or _ (e.g. accounting)")
	}
	if pr := m.Pricing; pr != nil {
		if !contains(PricingModels, pr.Model) {
			p.Add("pricing.model", "must be one of "+strings.Join(PricingModels, ", "))
		}
		if pr.Price < 0 || pr.Price > 100000 || (pr.Model == "free" && pr.Price != 0) {
			p.Add("pricing.price", "must be from 0 to 100000 (0 for free plugins)")
		}
		if pr.TrialDays < 0 || pr.TrialDays > 365 {
			p.Add("pricing.trial_days", "must be from 0 to 365")
		}
	}
	if m.Scopes == nil {
		p.Add("scopes", "is required (a list of scope names; it may be empty)")
	}
	var ve *ValidationError
	if err := CheckScopes(m.Scopes); err != nil {
		if errors.As(err, &ve) {
			p.fields = append(p.fields, ve.Fields...)
		}
	}
	for _, sc := range m.Scopes {
		if contains(pluginForbiddenScopes, sc) {
			p.Add("scopes", sc+" is never granted to a plugin")
		}
	}
	if len(m.Webhooks) > 50 {
		p.Add("webhooks", "must list at most 50 webhooks")
	}
	for i, w := range m.Webhooks {
		f := fmt.Sprintf("webhooks[%d]", i)
		switch {
		case !KnownEvent(w.Event):
			p.Add(f+".event", "unknown event "+strconv.Quote(w.Event))
		default:
			for _, need := range EventScopes(w.Event) {
				if !contains(m.Scopes, need) {
					p.Add(f+".event", w.Event+" needs the scope "+need+", which the manifest does not ask for")
					break
				}
			}
		}
		manifestURL(&p, f+".url", w.URL, true)
	}
	if len(m.Widgets) > 20 {
		p.Add("widgets", "must list at most 20 widgets")
	}
	seenWidget := map[string]bool{}
	for i, w := range m.Widgets {
		f := fmt.Sprintf("widgets[%d]", i)
		if !widgetIDPattern.MatchString(w.ID) {
			p.Add(f+".id", "must be 1 to 64 lowercase letters, digits, - or _")
		} else if seenWidget[w.ID] {
			p.Add(f+".id", "is used by another widget")
		}
		seenWidget[w.ID] = true
		max, ok := WidgetLocations[w.Location]
		if !ok {
			p.Add(f+".location", "must be one of "+strings.Join(WidgetLocationNames, ", "))
		}
		manifestURL(&p, f+".url", w.URL, true)
		if w.Height < 0 || (ok && max > 0 && w.Height > max) || w.Height > 4000 {
			p.Add(f+".height", fmt.Sprintf("must be from 1 to the place's maximum (%d px for %s)", max, w.Location))
		}
	}
	manifestURL(&p, "settings_url", m.SettingsURL, false)
	if m.OAuth != nil {
		if len(m.OAuth.RedirectURIs) == 0 || len(m.OAuth.RedirectURIs) > 10 {
			p.Add("oauth.redirect_uris", "must list 1 to 10 redirect URIs")
		}
		for i, u := range m.OAuth.RedirectURIs {
			manifestURL(&p, fmt.Sprintf("oauth.redirect_uris[%d]", i), u, true)
		}
	}
	return p.Err()
}

// URLs lists every URL of the manifest with its field name, for the API's
// address check (private addresses are refused outside the sandbox).
func (m *PluginManifest) URLs() map[string]string {
	out := map[string]string{}
	add := func(field, u string) {
		if u != "" {
			out[field] = u
		}
	}
	add("author.website", m.Author.Website)
	add("settings_url", m.SettingsURL)
	for i, w := range m.Webhooks {
		add(fmt.Sprintf("webhooks[%d].url", i), w.URL)
	}
	for i, w := range m.Widgets {
		add(fmt.Sprintf("widgets[%d].url", i), w.URL)
	}
	if m.OAuth != nil {
		for i, u := range m.OAuth.RedirectURIs {
			add(fmt.Sprintf("oauth.redirect_uris[%d]", i), u)
		}
	}
	return out
}

// CompareVersions orders two valid semantic versions: -1, 0 or 1. A
// pre-release is older than its release; pre-releases compare as text.
func CompareVersions(a, b string) int {
	pa, pb := versionPattern.FindStringSubmatch(a), versionPattern.FindStringSubmatch(b)
	if pa == nil || pb == nil {
		return strings.Compare(a, b)
	}
	for i := 1; i <= 3; i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case pa[4] == pb[4]:
		return 0
	case pa[4] == "":
		return 1
	case pb[4] == "":
		return -1
	}
	return strings.Compare(pa[4], pb[4])
}
