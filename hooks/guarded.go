package hooks

import (
	"errors"
	"net/http"
	"time"
)

// GuardedClient is an HTTP client for URLs a principal gives the appliance
// (a plugin's manifest_url, a catalog): every address it dials, after DNS
// and on every redirect, is checked like a webhook's, so private, loopback
// and link-local addresses are refused unless sandbox (loopback only then).
func GuardedClient(sandbox bool, timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:           guardedDialer(sandbox, timeout).DialContext,
			TLSHandshakeTimeout:   timeout,
			ResponseHeaderTimeout: timeout,
			MaxIdleConns:          4,
			IdleConnTimeout:       30 * time.Second,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many redirects")
			}
			if req.URL.Scheme != "https" && !(sandbox && req.URL.Scheme == "http") {
				return errors.New("redirect to a non-https URL refused")
			}
			return nil
		},
	}
}
