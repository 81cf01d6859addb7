package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"portal/store"
)

// maxBody is the largest request body accepted (413 beyond).
const maxBody = 1 << 20

// decode reads exactly one JSON object into dst, refusing unknown fields and
// wrong types with a VALIDATION_ERROR that names the field. It then refuses
// what encoding/json lets through silently: a field given twice, text that
// is not valid Unicode or holds control characters, and impossible years.
func decode(r *http.Request, dst any) error {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe) || len(raw) > maxBody:
		return errTooLarge
	case err != nil:
		return validation("body", "could not be read: "+err.Error())
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return validation("body", "must hold exactly one JSON object")
	}
	if err := scanJSON(raw); err != nil {
		return err
	}
	return checkText(dst)
}

// decodeOptional decodes a body that may be left out entirely.
func decodeOptional(r *http.Request, dst any) error {
	err := decode(r, dst)
	if ae, ok := err.(*apiError); ok && len(ae.Details) == 1 && ae.Details[0].Field == "body" && ae.Details[0].Message == bodyRequired {
		return nil
	}
	return err
}

const bodyRequired = "is required: send a JSON object"

func decodeError(err error) error {
	var mbe *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return errTooLarge
	case errors.Is(err, io.EOF):
		return validation("body", bodyRequired)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return validation("body", "is not valid JSON (it ends too early)")
	case errors.As(err, &syn):
		return validation("body", fmt.Sprintf("is not valid JSON (at byte %d)", syn.Offset))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return validation("body", "must be a JSON object")
		}
		return validation(field, "must be "+describeType(typ.Type))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return validation(name, "is not a known field")
	}
	return validation("body", "could not be read: "+err.Error())
}

func describeType(t reflect.Type) string {
	if t == nil {
		return "of another type"
	}
	switch t {
	case reflect.TypeFor[store.Money](), reflect.TypeFor[store.Quantity]():
		return "a number with at most 2 decimal places"
	case reflect.TypeFor[store.Percent]():
		return "a number with at most 3 decimal places"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		return "a positive integer"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Slice:
		return "an array"
	case reflect.Struct:
		if t.String() == "time.Time" {
			return "an ISO 8601 time such as 2026-03-15T14:22:00Z"
		}
		return "an object"
	case reflect.Map:
		return "an object"
	}
	return "of type " + t.String()
}
