package store

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// Lengths are counted in characters, as the messages say: a name of 100
// three-byte characters (300 bytes) is within "1 to 100 characters".
func TestTextLengthsCountCharactersNotBytes(t *testing.T) {
	s := openTest(t)
	sealer := testSealer(t)
	ada := mustCustomer(t, s, CustomerInput{Name: "Ada"})
	for _, tc := range []struct {
		field string
		max   int
		make  func(v string) error
	}{
		{"name", 100, func(v string) error {
			_, err := s.CreateKey(t.Context(), KeyInput{Type: KeyInternal, Name: v}, sealer)
			return err
		}},
		{"name", 120, func(v string) error {
			_, err := s.CreateCustomer(t.Context(), CustomerInput{Name: v})
			return err
		}},
		{"device.model", 100, func(v string) error {
			_, err := s.CreateTicket(t.Context(), TicketInput{CustomerID: ada.ID, Issue: "x", Device: Device{Model: v}})
			return err
		}},
	} {
		if err := tc.make(strings.Repeat("€", tc.max)); err != nil {
			t.Errorf("%s of %d three-byte characters: %v", tc.field, tc.max, err)
		}
		var ve *ValidationError
		err := tc.make(strings.Repeat("€", tc.max+1))
		if !errors.As(err, &ve) || !slices.ContainsFunc(ve.Fields, func(f FieldError) bool { return f.Field == tc.field }) {
			t.Errorf("%s of %d characters: err = %v", tc.field, tc.max+1, err)
		}
	}
}
