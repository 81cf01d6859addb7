package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"portal/store"
)

// Downloads of attachments go through signed URLs outside /api/v1: the
// signature is the credential (an <img> tag or a new tab sends no key).
// It covers the store, the attachment, the variant and the expiry, under a
// key derived from the data folder's seal key, so a test-mode URL never
// reads live and no byte of a URL can be changed.

// fileURLTTL is how long a signed URL works.
const fileURLTTL = 15 * time.Minute

// fileURLs is GET /attachments/{id}/url's answer.
type fileURLs struct {
	URL          string    `json:"url"`
	ThumbnailURL *string   `json:"thumbnail_url"` // images with a preview only
	ExpiresAt    time.Time `json:"expires_at"`
}

// Variants of a download.
const (
	variantFile  = "file"
	variantThumb = "thumbnail"
)

func (s *Server) fileURLs(r *http.Request, mode store.Mode, a store.Attachment) fileURLs {
	exp := s.cfg.Now().Add(fileURLTTL).UTC().Truncate(time.Second)
	out := fileURLs{URL: s.signedFileURL(r, mode, a.ID, variantFile, exp), ExpiresAt: exp}
	if a.Thumbnail {
		u := s.signedFileURL(r, mode, a.ID, variantThumb, exp)
		out.ThumbnailURL = &u
	}
	return out
}

func (s *Server) signedFileURL(r *http.Request, mode store.Mode, id uint64, variant string, exp time.Time) string {
	path := "/files/" + string(mode) + "/" + strconv.FormatUint(id, 10)
	if variant == variantThumb {
		path += "/" + variantThumb
	}
	e := strconv.FormatInt(exp.Unix(), 10)
	u := url.URL{Scheme: "http", Host: requestHost(r), Path: path,
		RawQuery: "exp=" + e + "&sig=" + hex.EncodeToString(s.fileSignature(string(mode), strconv.FormatUint(id, 10), variant, e))}
	if r.TLS != nil {
		u.Scheme = "https"
	}
	return u.String()
}

// fileSignature is HMAC-SHA256 over the URL's parts, each ended by a NUL so
// that no two sets of parts sign the same text.
func (s *Server) fileSignature(mode, id, variant, exp string) []byte {
	m := hmac.New(sha256.New, s.fileKey)
	for _, part := range []string{mode, id, variant, exp} {
		m.Write([]byte(part))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

// bindFiles mounts the download routes.
func (s *Server) bindFiles(r *mux.Router) {
	for _, p := range []string{"/files/{mode}/{id}", "/files/{mode}/{id}/{variant}"} {
		r.HandleFunc(p, s.serveFile).Methods(http.MethodGet, http.MethodHead)
	}
}

// serveFile answers a signed download. Every refusal is the same bare 403
// or 404: it never says which part was wrong.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	v := mux.Vars(r)
	mode, id, variant := v["mode"], v["id"], v["variant"]
	if variant == "" {
		variant = variantFile
	}
	q := r.URL.Query()
	exp, sig := q.Get("exp"), q.Get("sig")
	got, err := hex.DecodeString(sig)
	unix, perr := strconv.ParseInt(exp, 10, 64)
	if err != nil || perr != nil || (mode != string(store.Live) && mode != string(store.Test)) ||
		(variant != variantFile && variant != variantThumb) ||
		!hmac.Equal(got, s.fileSignature(mode, id, variant, exp)) || !s.cfg.Now().Before(time.Unix(unix, 0)) {
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	}
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	st := s.storeFor(store.Mode(mode))
	a, err := st.Attachment(n)
	sum := a.SHA256
	if variant == variantThumb {
		sum = a.ThumbnailSHA256
	}
	if err != nil || sum == "" {
		http.NotFound(w, r)
		return
	}
	f, err := st.OpenFile(sum)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		http.NotFound(w, r)
		return
	}
	ct := a.ContentType
	if variant == variantThumb {
		ct = "image/jpeg"
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, max-age=900")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Referrer-Policy", "no-referrer")
	if inlineImage(ct) {
		h.Set("Content-Type", ct)
		h.Set("Content-Disposition", disposition("inline", a.Filename))
	} else {
		h.Set("Content-Type", downloadType(ct))
		h.Set("Content-Disposition", disposition("attachment", a.Filename))
	}
	// ServeContent answers ranges and HEAD; the modification time stays out
	// (the bytes never change under a hash), so no Last-Modified is sent.
	http.ServeContent(w, r, "", time.Time{}, io.NewSectionReader(f, 0, fi.Size()))
}

// inlineImage says which sniffed types are shown in the browser: raster
// images only (never SVG, which can hold script).
func inlineImage(ct string) bool {
	switch ct {
	case "image/jpeg", "image/png", "image/gif", "image/webp":
		return true
	}
	return false
}

// downloadType is the Content-Type of a file offered as a download: a PDF
// keeps its type, everything else (HTML in a file named photo.jpg
// included) is bytes.
func downloadType(ct string) string {
	if ct == "application/pdf" {
		return ct
	}
	return "application/octet-stream"
}

// disposition is a Content-Disposition with the display filename: an ASCII
// fallback and the UTF-8 name (RFC 6266/5987).
func disposition(kind, name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	return kind + `; filename="` + ascii + `"; filename*=UTF-8''` + url.PathEscape(name)
}
