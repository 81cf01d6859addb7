package api

import (
	"encoding/base64"
	"net/http"
	"time"

	qrcode "github.com/skip2/go-qrcode"
)

// The console shows a new customer link as an address to copy and a QR
// code to scan (a customer's page, the intake receipt). One request mints
// the link and draws it, so the code always holds the address shown beside
// it; the PNG comes as a data: URL, which the console's CSP allows.

func (s *Server) portalLinkQRRoutes() []route {
	return []route{
		{method: "POST", path: "/customers/{id}/portal-link/qr", scope: writeScope("customers"), also: portalLinkScopes[1:], handle: s.createPortalLinkQR, status: http.StatusCreated,
			summary: "Make the customer's magic link, with its QR code as a PNG data: URL (qr_png), for the console and the intake receipt", out: portalLinkQRView{}},
	}
}

// portalLinkQRView is a new link and its QR code.
type portalLinkQRView struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
	QRPNG     string    `json:"qr_png"`
}

func (s *Server) createPortalLinkQR(w http.ResponseWriter, r *http.Request, p *Principal) error {
	link, err := s.newPortalLink(r, p)
	if err != nil {
		return err
	}
	png, err := qrcode.Encode(link.URL, qrcode.Medium, qrSize)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, portalLinkQRView{URL: link.URL, ExpiresAt: link.ExpiresAt, QRPNG: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)})
}
