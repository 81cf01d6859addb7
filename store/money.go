package store

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
)

// Money is an amount in minor units (cents). On the wire it is a decimal
// JSON number with at most two places, never a string and never cents.
type Money int64

// MarshalJSON writes the amount with exactly two decimal places.
func (m Money) MarshalJSON() ([]byte, error) { return []byte(m.String()), nil }

func (m Money) String() string { return formatDecimal(int64(m), 2, true) }

// UnmarshalJSON accepts a JSON number with at most two decimal places.
func (m *Money) UnmarshalJSON(b []byte) error {
	v, err := parseDecimal(string(b), 2)
	if err != nil {
		return decimalError(b, reflect.TypeFor[Money]())
	}
	*m = Money(v)
	return nil
}

// Quantity is a count in hundredths, so labour can be billed as 1.5 hours.
type Quantity int64

// MarshalJSON writes the shortest decimal form (1, 1.5, 0.25).
func (q Quantity) MarshalJSON() ([]byte, error) {
	return []byte(formatDecimal(int64(q), 2, false)), nil
}

// UnmarshalJSON accepts a JSON number with at most two decimal places.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	v, err := parseDecimal(string(b), 2)
	if err != nil {
		return decimalError(b, reflect.TypeFor[Quantity]())
	}
	*q = Quantity(v)
	return nil
}

// decimalError is a *json.UnmarshalTypeError so that encoding/json fills in
// the path of the offending field, which the api layer reports.
func decimalError(b []byte, t reflect.Type) error {
	kind := "number " + string(b)
	if len(b) > 0 && b[0] == '"' {
		kind = "string"
	}
	return &json.UnmarshalTypeError{Value: kind, Type: t}
}

var errDecimal = &json.UnmarshalTypeError{Value: "number"}

// maxDecimalDigits bounds what the decoder reads: 15 whole digits stay exact
// in int64 hundredths. Domain limits (MaxAmount) are far below and are
// checked where amounts are taken in and summed, so no stored total can
// ever become unreadable.
const maxDecimalDigits = 15

// MaxAmount is the largest price, payment, line or ticket total: 999,999,999.99.
const MaxAmount Money = 999_999_999_99

func parseDecimal(s string, places int) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || len(whole) > maxDecimalDigits || !allDigits(whole) ||
		(hasDot && (frac == "" || len(frac) > places || !allDigits(frac))) {
		return 0, errDecimal
	}
	for len(frac) < places {
		frac += "0"
	}
	v, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, errDecimal
	}
	if neg {
		v = -v
	}
	return v, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func formatDecimal(v int64, places int, fixed bool) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	unit := int64(1)
	for i := 0; i < places; i++ {
		unit *= 10
	}
	whole, frac := v/unit, v%unit
	fs := strconv.FormatInt(frac+unit, 10)[1:]
	if !fixed {
		fs = strings.TrimRight(fs, "0")
	}
	if fs == "" {
		return sign + strconv.FormatInt(whole, 10)
	}
	return sign + strconv.FormatInt(whole, 10) + "." + fs
}

// mulRound multiplies cents by hundredths of a unit and rounds half away from zero.
func mulRound(price Money, qty Quantity) Money {
	p := int64(price) * int64(qty)
	if p >= 0 {
		return Money((p + 50) / 100)
	}
	return Money((p - 50) / 100)
}

// percentOf applies a rate in thousandths of a percent (8.875% = 8875), rounding half up.
func percentOf(amount Money, rateMilli int64) Money {
	p := int64(amount) * rateMilli
	if p >= 0 {
		return Money((p + 50000) / 100000)
	}
	return Money((p - 50000) / 100000)
}
