package api

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"portal/store"
)

// A list that pages by number only (it ignores the export's walk by id) is
// still exported whole, each record once.
func TestExportOfAListThatIgnoresTheWalk(t *testing.T) {
	type rec struct {
		ID   uint64 `json:"id"`
		Name string `json:"name"`
	}
	const n = 450
	spec := &listSpec{resource: "things", sorts: []store.SortSpec{{Name: "id", Desc: true}}}
	calls := 0
	list := func(w http.ResponseWriter, r *http.Request, p *Principal) error {
		calls++
		lp, err := parseList(r, *spec)
		if err != nil {
			return err
		}
		page := store.Page{Total: n}
		for i := (lp.Page - 1) * lp.PerPage; i < min(n, lp.Page*lp.PerPage); i++ {
			page.Items = append(page.Items, []byte(fmt.Sprintf(`{"id":%d,"name":"=thing %d"}`, n-i, n-i)))
		}
		page.HasMore = lp.Page*lp.PerPage < n
		return okPage(w, page, lp)
	}
	s := &Server{cfg: Config{Now: time.Now, Log: discardLog}}
	rt := route{method: "GET", path: "/things", scope: "things.read", handle: list, out: []rec{}, list: spec}
	exports := s.exportRoutes([]route{rt})
	if len(exports) != 1 || exports[0].path != "/things.csv" || exports[0].scope != "things.read" {
		t.Fatalf("exports %+v", exports)
	}
	req := httptest.NewRequest("GET", "/api/v1/things.csv", nil)
	w := httptest.NewRecorder()
	if err := exports[0].handle(w, req, &Principal{}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(w.Body.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n+1 || rows[0][0] != "id" || rows[1][0] != "450" || rows[1][1] != "'=thing 450" || rows[n][0] != "1" {
		t.Errorf("%d rows: %v … %v", len(rows)-1, rows[1], rows[len(rows)-1])
	}
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		if seen[r[0]] {
			t.Errorf("id %s twice", r[0])
		}
		seen[r[0]] = true
	}
	if calls != 4 { // pages 1, 1 again (the walk ignored), 2, 3
		t.Errorf("%d calls of the list", calls)
	}
}
