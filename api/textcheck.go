package api

import (
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// checkText walks a decoded request and refuses, naming the field by its
// JSON path (device.model, lines[0].description), what no field of ours
// means: text with control characters (a NUL ends a C string in whatever
// reads our exports; tab, LF and CR are ordinary text, notes have lines)
// and times outside the years 1900 to 9999 (year 0000 parses, and is a
// client's mistake, not a due date).
func checkText(dst any) error {
	return walkText(reflect.ValueOf(dst), "")
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]() // timeType is openapi.go's

func walkText(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return walkText(v.Elem(), path)
	case reflect.String:
		if msg := textProblem(v.String()); msg != "" {
			return validation(fieldName(path), msg)
		}
	case reflect.Struct:
		if v.Type() == timeType {
			return checkYear(v.Interface().(time.Time), path)
		}
		return walkStruct(v, path)
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // bytes (json.RawMessage, base64), not text
		}
		for i := range v.Len() {
			if err := walkText(v.Index(i), path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		for _, k := range keys {
			name := joinPath(path, fmt.Sprint(k))
			if k.Kind() == reflect.String {
				if msg := textProblem(k.String()); msg != "" {
					return validation(fieldName(path), "keys "+msg)
				}
			}
			if err := walkText(v.MapIndex(k), name); err != nil {
				return err
			}
		}
	}
	return nil
}

// walkStruct walks the fields encoding/json fills, by their JSON names.
// A type that decodes itself (store.Nullable) keeps its holder's name, as
// do embedded structs, whose fields JSON promotes.
func walkStruct(v reflect.Value, path string) error {
	t := v.Type()
	self := reflect.PointerTo(t).Implements(unmarshalerType)
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		name := joinPath(path, cmp.Or(tag, f.Name))
		if self || (f.Anonymous && tag == "") {
			name = path
		}
		if err := walkText(v.Field(i), name); err != nil {
			return err
		}
	}
	return nil
}

// checkYear refuses a time no shop means. A zero time is a field left out
// (a present one arrives in a pointer or store.Nullable).
func checkYear(t time.Time, path string) error {
	if t.IsZero() || (t.Year() >= 1900 && t.Year() <= 9999) {
		return nil
	}
	return validation(fieldName(path), "must be a time between the years 1900 and 9999")
}

// textProblem says what is wrong with s as text, or "".
func textProblem(s string) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8 text"
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return fmt.Sprintf("must not contain control characters (found U+%04X; tab and line breaks are allowed)", r)
		}
	}
	return ""
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// fieldName names the field at path; the root is the body.
func fieldName(path string) string { return cmp.Or(path, "body") }
