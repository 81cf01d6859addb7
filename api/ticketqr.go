package api

import (
	"net/http"
	"net/url"
	"strconv"

	qrcode "github.com/skip2/go-qrcode"

	"portal/store"
)

// qrSize is the PNG's side in pixels: sharp when a receipt prints it at
// about 3 cm, small enough to fetch at once.
const qrSize = 320

// ticketQR answers a PNG QR code of the ticket's console page, for the
// intake receipt: staff scan it to open the ticket. It names the page in the
// principal's mode (/test/tickets/… for the test store), at the address the
// request came to. The customer's own link replaces it once it exists.
func (s *Server) ticketQR(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	if _, err := p.Store.Ticket(id); err != nil {
		return err
	}
	png, err := qrcode.Encode(consoleURL(r, p.Mode, "/tickets/"+strconv.FormatUint(id, 10)), qrcode.Medium, qrSize)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Content-Length", strconv.Itoa(len(png)))
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(png)
	return err
}

// consoleURL is the absolute address of a console page as this request
// reached the server, with the mode's /test prefix.
func consoleURL(r *http.Request, mode store.Mode, path string) string {
	u := url.URL{Scheme: "http", Host: r.Host, Path: path}
	if r.TLS != nil {
		u.Scheme = "https"
	}
	if mode == store.Test {
		u.Path = "/test" + path
	}
	return u.String()
}
