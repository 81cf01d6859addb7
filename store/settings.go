package store

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketSettings = []byte("settings")
	keyShop        = []byte("shop")
	keyStatuses    = []byte("statuses")
	keyFeatures    = []byte("features")
)

// Shop is the shop's public information (GET /store). Each store keeps its
// own copy so that the test store is a complete sandbox.
type Shop struct {
	Name     string  `json:"name"`
	Email    string  `json:"email"`
	Phone    string  `json:"phone"`
	Address  string  `json:"address"`
	Timezone string  `json:"timezone"`
	Currency string  `json:"currency"`
	TaxRate  Percent `json:"tax_rate"` // applied to taxable line items of new tickets
	Hours    string  `json:"hours"`    // free text, as the shop says it ("Mon–Fri 9–6")
	// ReceiptTerms are printed on every intake receipt, above the signature.
	ReceiptTerms string `json:"receipt_terms"`
	// SetupComplete is set once the owner has been through the shop's
	// essentials; until then the console offers to finish setting up.
	SetupComplete bool `json:"setup_complete"`
	// PortalLinkDays is how long a customer's magic link (and the session
	// a sign-in makes) lasts: 1 to 365 days, 30 until the shop says.
	PortalLinkDays int `json:"portal_link_days"`
	// PortalURL is where customers reach the appliance
	// (https://repairs.example.com): their links start with it. Empty: a
	// link made in the console starts with the console's own address.
	PortalURL string `json:"portal_url"`
	// PluginCatalogURL is where Settings → Plugins reads the catalog of
	// known plugins (JSON, fetched through the webhook guard); "" for none.
	PluginCatalogURL string `json:"plugin_catalog_url"`
}

// ShopPatch changes some of the shop's fields.
type ShopPatch struct {
	Name     *string  `json:"name"`
	Email    *string  `json:"email"`
	Phone    *string  `json:"phone"`
	Address  *string  `json:"address"`
	Timezone *string  `json:"timezone"`
	Currency *string  `json:"currency"`
	TaxRate  *Percent `json:"tax_rate"`
	Hours    *string  `json:"hours"`
	// ReceiptTerms replaces the receipt's terms ("" prints none).
	ReceiptTerms  *string `json:"receipt_terms"`
	SetupComplete *bool   `json:"setup_complete"`
	// PortalLinkDays changes the lifetime of links minted from now on.
	PortalLinkDays *int `json:"portal_link_days"`
	// PortalURL sets where customers reach the appliance ("" forgets it).
	PortalURL *string `json:"portal_url"`
	// PluginCatalogURL sets the plugin catalog's address ("" forgets it).
	PluginCatalogURL *string `json:"plugin_catalog_url"`
}

// Features are the shop's feature flags (GET /store/features).
type Features map[string]bool

func defaultFeatures() Features {
	return Features{"tickets": true, "customers": true, "payments": true, "webhooks": true,
		"inventory": false, "visitors": false, "plugins": false}
}

func defaultShop() Shop {
	return Shop{Name: "My Repair Shop", Timezone: "UTC", Currency: "USD", PortalLinkDays: DefaultPortalLinkDays}
}

// DefaultPortalLinkDays is a customer link's lifetime until the shop sets one.
const DefaultPortalLinkDays = 30

// getShop reads the shop; a shop saved before portal_link_days existed
// reads as the default.
func getShop(tx *bolt.Tx) (Shop, error) {
	shop, err := getJSON(tx, keyShop, defaultShop())
	if shop.PortalLinkDays == 0 {
		shop.PortalLinkDays = DefaultPortalLinkDays
	}
	return shop, err
}

func getJSON[T any](tx *bolt.Tx, key []byte, fallback T) (T, error) {
	v := tx.Bucket(bucketSettings).Get(key)
	if v == nil {
		return fallback, nil
	}
	var out T
	err := json.Unmarshal(v, &out)
	return out, err
}

func putJSON(tx *bolt.Tx, key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketSettings).Put(key, b)
}

// Shop returns the shop's information.
func (s *Store) Shop() (Shop, error) {
	var out Shop
	err := s.view(func(tx *bolt.Tx) (err error) { out, err = getShop(tx); return })
	return out, err
}

// UpdateShop applies a patch and records store.updated.
func (s *Store) UpdateShop(ctx context.Context, p ShopPatch) (Shop, error) {
	if err := p.validate(); err != nil {
		return Shop{}, err
	}
	var out Shop
	err := s.update(ctx, func(tx *bolt.Tx) error {
		shop, err := getShop(tx)
		if err != nil {
			return err
		}
		changes := ordered{}
		set := func(name string, dst *string, v *string) {
			if v != nil && *v != *dst {
				changes = changes.with(name, change{*dst, *v})
				*dst = *v
			}
		}
		set("name", &shop.Name, p.Name)
		set("email", &shop.Email, p.Email)
		set("phone", &shop.Phone, p.Phone)
		set("address", &shop.Address, p.Address)
		set("timezone", &shop.Timezone, p.Timezone)
		set("currency", &shop.Currency, p.Currency)
		set("hours", &shop.Hours, p.Hours)
		set("receipt_terms", &shop.ReceiptTerms, p.ReceiptTerms)
		if p.PortalURL != nil {
			u := strings.TrimRight(strings.TrimSpace(*p.PortalURL), "/")
			set("portal_url", &shop.PortalURL, &u)
		}
		if p.PluginCatalogURL != nil {
			u := strings.TrimSpace(*p.PluginCatalogURL)
			set("plugin_catalog_url", &shop.PluginCatalogURL, &u)
		}
		if p.TaxRate != nil && *p.TaxRate != shop.TaxRate {
			changes = changes.with("tax_rate", change{shop.TaxRate, *p.TaxRate})
			shop.TaxRate = *p.TaxRate
		}
		if p.PortalLinkDays != nil && *p.PortalLinkDays != shop.PortalLinkDays {
			changes = changes.with("portal_link_days", change{shop.PortalLinkDays, *p.PortalLinkDays})
			shop.PortalLinkDays = *p.PortalLinkDays
		}
		if p.SetupComplete != nil && *p.SetupComplete != shop.SetupComplete {
			changes = changes.with("setup_complete", change{shop.SetupComplete, *p.SetupComplete})
			shop.SetupComplete = *p.SetupComplete
		}
		out = shop
		if len(changes) == 0 {
			return nil
		}
		if err := putJSON(tx, keyShop, shop); err != nil {
			return err
		}
		_, err = s.appendEvent(tx, "store.updated", ordered{}.with("store_id", 1).with("changes", changes).with("store", shop))
		return err
	})
	return out, err
}

func (p ShopPatch) validate() error {
	var pr Problems
	if p.Name != nil && (strings.TrimSpace(*p.Name) == "" || utf8.RuneCountInString(*p.Name) > 120) {
		pr.Add("name", "must be 1 to 120 characters")
	}
	for _, f := range []struct {
		name string
		v    *string
		max  int
	}{{"phone", p.Phone, 40}, {"address", p.Address, 300}, {"hours", p.Hours, 300}, {"receipt_terms", p.ReceiptTerms, 2000}} {
		if f.v != nil && utf8.RuneCountInString(*f.v) > f.max {
			pr.Add(f.name, fmt.Sprintf("must be at most %d characters", f.max))
		}
	}
	if p.Email != nil && *p.Email != "" && !validEmail(*p.Email) {
		pr.Add("email", "must be a valid email address")
	}
	if p.Timezone != nil {
		if _, err := time.LoadLocation(*p.Timezone); err != nil || *p.Timezone == "" {
			pr.Add("timezone", "must be an IANA time zone such as Europe/London")
		}
	}
	if p.Currency != nil && (len(*p.Currency) != 3 || strings.ToUpper(*p.Currency) != *p.Currency) {
		pr.Add("currency", "must be a three-letter ISO 4217 code such as USD")
	}
	if p.TaxRate != nil && (*p.TaxRate < 0 || *p.TaxRate > 100000) {
		pr.Add("tax_rate", "must be a percentage from 0 to 100")
	}
	if p.PortalURL != nil && !validPortalURL(strings.TrimSpace(*p.PortalURL)) {
		pr.Add("portal_url", "must be an http or https address with a host and no query, such as https://repairs.example.com")
	}
	if p.PluginCatalogURL != nil && !validCatalogURL(strings.TrimSpace(*p.PluginCatalogURL)) {
		pr.Add("plugin_catalog_url", "must be an http or https address with a host, such as https://plugins.example.com/catalog.json")
	}
	if p.PortalLinkDays != nil && (*p.PortalLinkDays < 1 || *p.PortalLinkDays > 365) {
		pr.Add("portal_link_days", "must be a whole number of days from 1 to 365")
	}
	return pr.Err()
}

// validPortalURL accepts "" (none) or an absolute http(s) URL with a host,
// perhaps a path, and nothing after it.
func validPortalURL(s string) bool {
	if s == "" {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && len(s) <= 200 && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" &&
		u.User == nil && u.RawQuery == "" && u.Fragment == "" && !strings.ContainsAny(s, " \t\n")
}

// validCatalogURL accepts "" (none) or an absolute http(s) URL with a host
// and no credentials.
func validCatalogURL(s string) bool {
	if s == "" {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && len(s) <= 500 && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" &&
		u.User == nil && u.Fragment == "" && !strings.ContainsAny(s, " \t\n")
}

// Features returns the feature flags.
func (s *Store) Features() (Features, error) {
	var out Features
	err := s.view(func(tx *bolt.Tx) (err error) { out, err = getJSON(tx, keyFeatures, defaultFeatures()); return })
	return out, err
}

// Percent is a rate in thousandths of a percent; on the wire a decimal (8.875).
type Percent int64

// MarshalJSON writes the rate as a decimal number.
func (p Percent) MarshalJSON() ([]byte, error) { return []byte(formatDecimal(int64(p), 3, false)), nil }

// UnmarshalJSON accepts a number with at most three decimal places.
func (p *Percent) UnmarshalJSON(b []byte) error {
	v, err := parseDecimal(string(b), 3)
	if err != nil {
		return decimalError(b, reflect.TypeFor[Percent]())
	}
	*p = Percent(v)
	return nil
}

var keySealedPrefix = "sealed:"

// SealedValue returns a secret kept sealed in settings, creating it with make
// on first use. The sandbox prints the same developer key on every start this way.
func (s *Store) SealedValue(ctx context.Context, name string, sealer *Sealer, make func() (string, error)) (string, error) {
	key := []byte(keySealedPrefix + name)
	var sealed []byte
	err := s.view(func(tx *bolt.Tx) error {
		sealed = cloneBytes(tx.Bucket(bucketSettings).Get(key))
		return nil
	})
	if err != nil {
		return "", err
	}
	if sealed != nil {
		v, err := sealer.Open(sealed)
		return string(v), err
	}
	v, err := make()
	if err != nil {
		return "", err
	}
	if sealed, err = sealer.Seal([]byte(v)); err != nil {
		return "", err
	}
	err = s.update(ctx, func(tx *bolt.Tx) error { return tx.Bucket(bucketSettings).Put(key, sealed) })
	return v, err
}

// SetSealedValue replaces a sealed secret (a sandbox key that was revoked).
func (s *Store) SetSealedValue(ctx context.Context, name, value string, sealer *Sealer) error {
	sealed, err := sealer.Seal([]byte(value))
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSettings).Put([]byte(keySealedPrefix+name), sealed)
	})
}
