package api

import "testing"

// The desk's routes take their Porter names from their path, so routes
// added by other parts of the desk (contractors, evacuation) answer in
// Porter's shape without naming it.
func TestPorterKeysFollowTheDeskRoutes(t *testing.T) {
	for _, c := range []struct {
		rt   route
		want string
	}{
		{route{path: "/visitors", list: &listSpec{}}, "visitors"},
		{route{path: "/visitors/{id}/check-in"}, "visitor"},
		{route{path: "/contractors", list: &listSpec{}}, "contractors"},
		{route{path: "/contractors/{id}/approve"}, "contractor"},
		{route{path: "/locations/{id}"}, "location"},
		{route{path: "/evacuation"}, "evacuation"},
		{route{path: "/evacuation/roll-call/{entry_id}/safe"}, "entry"},
		{route{path: "/evacuation/end", porter: "summary"}, "summary"},
		{route{path: "/tickets", list: &listSpec{}}, ""},
		{route{path: "/users/{id}/presence"}, ""},
	} {
		if got := porterKey(c.rt); got != c.want {
			t.Errorf("porterKey(%s) = %q, want %q", c.rt.path, got, c.want)
		}
	}
	if !porterPath("/api/v1/visitors/3") || porterPath("/api/v1/tickets") || porterPath("/visitors") {
		t.Error("porterPath")
	}
}
