package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"portal/store"
)

// listParams is a parsed list request (API.md "Lists").
type listParams struct {
	store.ListQuery
	Search string
	// sinceGiven is set even for since_id=0, which starts a walk from the first record.
	sinceGiven bool
}

func (lp listParams) cursor() bool { return lp.sinceGiven || lp.UpdatedAfter != nil }

// listSpec says what one list accepts beyond paging. Lists of declared
// resources take theirs from the store's declaration (declaredList).
type listSpec struct {
	filters []store.FilterSpec
	sorts   []store.SortSpec // the API's names, aliases included
	search  bool
	// resource names the declared resource the list is of ("" for others).
	resource string
}

// declaredList is a resource's list as the store declares it, less the
// filters a path fixes (a customer's tickets) and, with noSearch, its q=.
func declaredList(resource string, noSearch bool, fixed ...string) *listSpec {
	d := store.List(resource)
	spec := &listSpec{sorts: d.Sorts, search: d.Search && !noSearch, resource: resource}
	for _, f := range d.Filters {
		if !contains(fixed, f.Name) {
			spec.filters = append(spec.filters, f)
		}
	}
	return spec
}

func (l listSpec) sortNames() []string {
	out := make([]string, len(l.sorts))
	for i, s := range l.sorts {
		out[i] = s.Name
	}
	return out
}

func (l listSpec) hasFilter(name string) bool {
	for _, f := range l.filters {
		if f.Name == name {
			return true
		}
	}
	return false
}

const (
	defaultPerPage = 50
	maxPerPage     = 200
)

// parseList reads paging, cursors, filters and sort; anything unknown is a 422
// so that a typo never silently returns the unfiltered list.
func parseList(r *http.Request, spec listSpec) (listParams, error) {
	q := r.URL.Query()
	lp := listParams{ListQuery: store.ListQuery{Page: 1, PerPage: defaultPerPage, Filters: map[string]string{}}}
	for name, vals := range q {
		v := vals[0]
		var err error
		switch name {
		case "since_id", "updated_after":
			// Only indexed lists (those with sorts) walk cursors; elsewhere
			// the cursor would be silently ignored.
			if len(spec.sorts) == 0 {
				return lp, validation(name, "is not a parameter of this list")
			}
		}
		switch name {
		case "page":
			lp.Page, err = intParam(name, v, 1, 1<<30)
		case "per_page":
			lp.PerPage, err = intParam(name, v, 1, maxPerPage)
		case "since_id":
			var n int
			n, err = intParam(name, v, 0, 1<<62)
			lp.SinceID, lp.sinceGiven = uint64(n), true
		case "updated_after":
			t, perr := time.Parse(time.RFC3339, v)
			if perr != nil {
				err = validation(name, "must be an ISO 8601 time such as 2026-01-01T00:00:00Z")
			}
			lp.UpdatedAfter = &t
		case "sort":
			if !contains(spec.sortNames(), v) {
				err = validation(name, "must be one of "+strings.Join(spec.sortNames(), ", "))
			}
			lp.Sort = v
		case "order":
			if v != "asc" && v != "desc" {
				err = validation(name, "must be asc or desc")
			}
		case "q":
			if !spec.search {
				err = validation(name, "this list has no search")
			}
			lp.Search = v
		default:
			if !spec.hasFilter(name) {
				err = validation(name, "is not a parameter of this list")
			}
			lp.Filters[name] = v
		}
		if err != nil {
			return lp, err
		}
	}
	if lp.Search != "" && lp.cursor() {
		return lp, validation("q", "search results are paged with page and per_page, not since_id or updated_after")
	}
	sortName := lp.Sort
	if sortName == "" {
		sortName = "id"
	}
	sort := store.SortSpec{Name: sortName, Desc: true}
	for _, s := range spec.sorts {
		if s.Name == sortName {
			sort = s
		}
	}
	if sort.Of != "" {
		lp.Sort = sort.Of // an alias: created_at is the id's order
	}
	switch q.Get("order") {
	case "asc":
		lp.Desc = false
	case "desc":
		lp.Desc = true
	default:
		lp.Desc = sort.Desc // the declaration's natural order
	}
	if lp.cursor() {
		lp.Desc = false
		if lp.SinceID == 0 && lp.UpdatedAfter == nil {
			lp.Sort = "id" // since_id=0: every record, oldest first
		}
	}
	if w, ok := r.Context().Value(exportWalkKey{}).(*exportWalk); ok && w.after > 0 {
		lp.Page = 1 // an export's next page: after the last id it sent, in the list's id order
		if lp.Desc {
			lp.BeforeID = w.after
		} else {
			lp.SinceID = w.after
		}
	}
	return lp, nil
}

func intParam(name, v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, validation(name, "must be an integer from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi))
	}
	return n, nil
}

// pageParams reads page and per_page alone, for short sub-lists.
func pageParams(r *http.Request) (listParams, error) {
	return parseList(r, listSpec{})
}

// idParam reads a positive integer path parameter; a malformed one is a 404
// because no record can have it.
func idParam(r *http.Request, name string) (uint64, error) {
	n, err := strconv.ParseUint(mux.Vars(r)[name], 10, 64)
	if err != nil || n == 0 {
		return 0, newError(http.StatusNotFound, "NOT_FOUND", "No record has this id")
	}
	return n, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
