package store

import (
	"slices"
	"testing"
)

func TestIMEIsAreFifteenDigitsWithALuhnCheckDigit(t *testing.T) {
	for imei, want := range map[string]bool{
		"356938035643809":  true,  // a published example
		"490154203237518":  true,  // another
		"356938035643808":  false, // check digit off by one
		"35693803564380":   false, // 14 digits
		"3569380356438090": false, // 16
		"35693803564380X":  false,
		"":                 false,
	} {
		if got := validIMEI(imei); got != want {
			t.Errorf("validIMEI(%q) = %v, want %v", imei, got, want)
		}
	}
}

// The move table names every status once and only statuses; sold and
// scrapped are final and every other status can reach them or be scrapped.
func TestDeviceMovesCoverEveryStatus(t *testing.T) {
	if len(deviceMoves) != len(DeviceStatuses) {
		t.Fatalf("%d statuses in the table, %d declared", len(deviceMoves), len(DeviceStatuses))
	}
	for from, tos := range deviceMoves {
		if !slices.Contains(DeviceStatuses, from) {
			t.Errorf("the table moves from %q, not a status", from)
		}
		if inStock(from) != slices.Contains(tos, DeviceScrapped) {
			t.Errorf("%s: in stock %v, can be scrapped %v", from, inStock(from), slices.Contains(tos, DeviceScrapped))
		}
		for _, to := range tos {
			if !slices.Contains(DeviceStatuses, to) || to == from {
				t.Errorf("%s moves to %q", from, to)
			}
		}
	}
}
