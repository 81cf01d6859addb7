package api

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// pioFormText holds a Portal.io form body to the rules decode applies to
// JSON text: form values arrive percent-decoded and unchecked, so %00 or
// %FF would otherwise reach the store. It answers as Portal.io does (a 400
// with a message), naming the field in the JSON spelling's lower case.
func pioFormText(form url.Values) error {
	for _, k := range slices.Sorted(maps.Keys(form)) {
		if msg := textProblem(k); msg != "" {
			return &pioError{http.StatusBadRequest, validation("body", "field names "+msg).Message}
		}
		for _, v := range form[k] {
			if msg := textProblem(v); msg != "" {
				return &pioError{http.StatusBadRequest, validation(strings.ToLower(k), msg).Message}
			}
		}
	}
	return nil
}
