package hooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
)

// Portal.io request signing (X-MSS-*), as clients of the Portal.io-style
// subscription API sign their requests. The body is not signed.

// MSSCanonical is the string an X-MSS-SIGNATURE signs: method, base URL,
// Content-Type exactly as sent, date header value and user key, concatenated
// without separators. The Content-Type is left out entirely for GET and
// DELETE, whatever the caller passes.
func MSSCanonical(method, baseURL, contentType, date, userKey string) string {
	if strings.EqualFold(method, http.MethodGet) || strings.EqualFold(method, http.MethodDelete) {
		contentType = ""
	}
	return method + baseURL + contentType + date + userKey
}

// MSSSign is the X-MSS-SIGNATURE value of a canonical string: the standard
// base64 of HMAC-SHA256 keyed by the app secret's UTF-8 bytes. A server
// comparing it with a received signature must use hmac.Equal.
func MSSSign(appSecret, canonical string) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write([]byte(canonical))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// MSSBaseURL is the URL as signed: scheme://host[:port]/path, with the path
// escaped as on the wire and no user info, query or fragment. A server must
// first fill in u.Scheme and u.Host as the client addressed it (an incoming
// request's URL has only the path).
func MSSBaseURL(u *url.URL) string {
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}
