package hooks

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// guardedGetTimeout bounds a whole GuardedGet: dial, headers and body.
const guardedGetTimeout = 10 * time.Second

// GuardedGet fetches raw (a plugin manifest, a catalog) through the same
// address guard as webhook deliveries: the address actually dialled, after
// DNS, must be a public one (loopback too in the sandbox). It follows no
// redirects, refuses anything but 200 and reads at most limit bytes.
func GuardedGet(ctx context.Context, raw string, sandbox bool, limit int64) ([]byte, error) {
	if err := CheckURL(ctx, raw, sandbox); err != nil {
		return nil, err
	}
	client := &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           guardedDialer(sandbox, guardedGetTimeout).DialContext,
			TLSHandshakeTimeout:   guardedGetTimeout,
			ResponseHeaderTimeout: guardedGetTimeout,
		},
		Timeout:       guardedGetTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("it answered %s", res.Status)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("it is larger than %d bytes", limit)
	}
	return body, nil
}
