package api

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	qrcode "github.com/skip2/go-qrcode"

	"portal/store"
)

// What a visitor does at a paired kiosk, always at the kiosk's own location:
// find their host by typing, walk in, check in with a code, check out. The
// answers carry what the screen shows (a first name, the badge) and never
// another visitor's data.

// kioskHostsMax bounds the suggestions: typing narrows, the kiosk never lists the staff.
const kioskHostsMax = 8

func (s *Server) kioskDeskRoutes() []route {
	return []route{
		{method: "GET", path: "/kiosk/hosts", handle: s.kioskHosts, kiosk: true, liveOnly: true, out: []kioskHost{},
			summary: "Hosts whose name contains q (at least 2 characters; at most 8, names and ids only; kiosk cookie)"},
		{method: "POST", path: "/kiosk/check-in", handle: s.kioskCheckIn, kiosk: true, liveOnly: true, in: kioskCodeInput{}, out: kioskVisit{},
			summary: "Check in the expected visitor with this code at the kiosk's location; answers their badge (kiosk cookie; 5 wrong codes a minute)"},
		{method: "POST", path: "/kiosk/walk-in", handle: s.kioskWalkIn, kiosk: true, liveOnly: true, in: kioskWalkInInput{}, out: kioskVisit{}, status: http.StatusCreated,
			summary: "Sign in a visitor without a code at the kiosk's location; answers their badge (kiosk cookie)"},
		{method: "POST", path: "/kiosk/check-out", handle: s.kioskCheckOut, kiosk: true, liveOnly: true, in: kioskCodeInput{}, out: kioskVisit{},
			summary: "Check out the visitor with this badge code at the kiosk's location (kiosk cookie; 5 wrong codes a minute)"},
	}
}

type kioskHost struct {
	ID   uint64 `json:"id"`
	Name string `json:"name"`
}

type kioskCodeInput struct {
	Code string `json:"code"`
}

type kioskWalkInInput struct {
	Name    string `json:"name"`
	Company string `json:"company"`
	HostID  uint64 `json:"host_id"`
	Email   string `json:"email"`
	Phone   string `json:"phone"`
}

// kioskVisit is all a kiosk learns of a visit.
type kioskVisit struct {
	FirstName string      `json:"first_name"`
	Badge     *kioskBadge `json:"badge,omitempty"` // after a check-in or walk-in
}

type kioskBadge struct {
	store.KioskBadge
	// Code checks the visitor out; QRPNG is it as a QR code (a data: URL).
	Code  string `json:"code"`
	QRPNG string `json:"qr_png"`
}

func (s *Server) kioskHosts(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if utf8.RuneCountInString(q) < 2 || utf8.RuneCountInString(q) > 100 {
		return validation("q", "type at least 2 letters of the host's name (at most 100)")
	}
	hosts, err := s.cfg.Live.Hosts(q)
	if err != nil {
		return err
	}
	out := make([]kioskHost, 0, kioskHostsMax)
	for _, h := range hosts[:min(len(hosts), kioskHostsMax)] {
		out = append(out, kioskHost{ID: h.ID, Name: h.Name})
	}
	return ok(w, http.StatusOK, out)
}

// byCode runs a check-in or check-out by code for the kiosk, counting wrong
// codes against the kiosk and explaining refusals in a visitor's words.
func (s *Server) byCode(w http.ResponseWriter, r *http.Request, checkingIn bool,
	do func(code string, locationID uint64) (store.Visitor, error)) (store.Visitor, string, error) {
	var in kioskCodeInput
	if err := decode(r, &in); err != nil {
		return store.Visitor{}, "", err
	}
	if strings.TrimSpace(in.Code) == "" {
		return store.Visitor{}, "", validation("code", "is required: the code on your invitation or badge")
	}
	k := kioskOf(r)
	guard := "code " + strconv.FormatUint(k.ID, 10)
	if err := s.kiosks.wrong.take(w, guard, "codes at this kiosk"); err != nil {
		return store.Visitor{}, "", err
	}
	v, err := do(in.Code, k.LocationID)
	if !errors.Is(err, store.ErrNotFound) {
		s.kiosks.wrong.refund(guard) // only an unknown code is a wrong guess
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.Visitor{}, "", newError(http.StatusNotFound, "NOT_FOUND",
			"We could not find a visit with this code; check it and try again, or ask at the desk")
	}
	if err != nil {
		return store.Visitor{}, "", s.cfg.Live.KioskRefusal(err, in.Code, k.LocationID, checkingIn)
	}
	return v, store.KioskCode(in.Code), nil
}

func (s *Server) kioskCheckIn(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	v, code, err := s.byCode(w, r, true, func(code string, loc uint64) (store.Visitor, error) {
		return s.cfg.Live.CheckInVisitorByCode(r.Context(), code, loc, store.ByKiosk)
	})
	if err != nil {
		return err
	}
	return s.answerBadge(w, http.StatusOK, v, code)
}

func (s *Server) kioskCheckOut(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	v, _, err := s.byCode(w, r, false, func(code string, loc uint64) (store.Visitor, error) {
		return s.cfg.Live.CheckOutVisitorByCode(r.Context(), code, loc, store.ByKiosk)
	})
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, kioskVisit{FirstName: kioskFirstName(v.Name)})
}

func (s *Server) kioskWalkIn(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	var in kioskWalkInInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.Company) == "" {
		return validation("company", "is required: the company you are with (or “Private”)")
	}
	k := kioskOf(r)
	v, code, err := s.cfg.Live.WalkInVisitor(r.Context(), store.VisitorInput{Name: in.Name, Company: in.Company, HostID: in.HostID,
		Email: in.Email, Phone: in.Phone, LocationID: k.LocationID}, store.ByKiosk)
	if err != nil {
		// Conflicts (an evacuation, a full site) in the visitor's words.
		return s.cfg.Live.KioskRefusal(err, "", kioskOf(r).LocationID, true)
	}
	return s.answerBadge(w, http.StatusCreated, v, code)
}

// answerBadge answers a visit with its badge; the QR is drawn here, so the
// code never travels in a URL.
func (s *Server) answerBadge(w http.ResponseWriter, status int, v store.Visitor, code string) error {
	b, err := s.cfg.Live.KioskBadgeOf(v)
	if err != nil {
		return err
	}
	png, err := qrcode.Encode(code, qrcode.Medium, 256)
	if err != nil {
		return err
	}
	return ok(w, status, kioskVisit{FirstName: kioskFirstName(v.Name), Badge: &kioskBadge{KioskBadge: b, Code: code,
		QRPNG: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)}})
}
