package api

import (
	"fmt"
	"strings"
	"testing"
)

// scanJSON's paths and rules, on shapes no route takes yet (free-form
// objects, many members) as well as those they do.
func TestScanJSONNamesTheFieldOfRepeatedNamesAndBrokenText(t *testing.T) {
	many := make([]string, 40)
	for i := range many {
		many[i] = fmt.Sprintf(`"f%d":%d`, i, i)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"a":1,"b":{"c":[1,{"d":"x"}]}}`, ""},
		{`{"a":"\ud83d\ude00 \u00e9 \\u0000 \"q\""}`, ""},
		{`{"a":1,"A":2}`, "a"},
		{"{\"lines\":[{\"description\":\"x\"},{\"description\":\"a\xffb\"}]}", "lines[1].description"},
		{`{"lines":[{"description":"\udc00"}]}`, "lines[0].description"},
		{`{"s":"\ud800x"}`, "s"},
		{`{"k":{"` + "\u212a" + `":1,"k":2}}`, "k.\u212a"}, // the Kelvin sign folds to k
		{`{"m":{` + strings.Join(many, ",") + `,"F39":0}}`, "m.f39"},
		{`{"m":{` + strings.Join(many, ",") + `}}`, ""},
		{"{\"\xff\":1}", "body"},
	} {
		err := scanJSON([]byte(tc.body))
		var field string
		if ae, ok := err.(*apiError); ok {
			field = ae.Details[0].Field
		} else if err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		if field != tc.field {
			t.Errorf("%.60s: refused %q (%v), want %q", tc.body, field, err, tc.field)
		}
	}
}
