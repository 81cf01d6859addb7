package main

import (
	"slices"
	"testing"
	"time"
)

func TestEventRetentionTakesDaysOrADurationOfAtLeastADay(t *testing.T) {
	t.Setenv("PORTAL_EVENT_RETENTION", "")
	for _, tc := range []struct {
		args []string
		want time.Duration
	}{
		{nil, 30 * 24 * time.Hour},
		{[]string{"--event-retention", "7d"}, 7 * 24 * time.Hour},
		{[]string{"--event-retention", "36h"}, 36 * time.Hour},
		{[]string{"--event-retention", "1d"}, 24 * time.Hour},
	} {
		cfg, err := parseServe(tc.args)
		if err != nil || cfg.retention != tc.want {
			t.Errorf("%v: retention %s, %v; want %s", tc.args, cfg.retention, err, tc.want)
		}
	}
	for _, bad := range []string{"23h", "0d", "-3d", "1.5d", "d", "thirty", "30"} {
		if _, err := parseServe([]string{"--event-retention", bad}); err == nil {
			t.Errorf("--event-retention %s was accepted", bad)
		}
	}
	t.Setenv("PORTAL_EVENT_RETENTION", "90d")
	if cfg, err := parseServe(nil); err != nil || cfg.retention != 90*24*time.Hour {
		t.Errorf("PORTAL_EVENT_RETENTION=90d: %s, %v", cfg.retention, err)
	}
	sc, _, err := serviceConfig(nil, "linux")
	if err != nil || !slices.Contains(sc.Arguments, "--event-retention") || !slices.Contains(sc.Arguments, "90d") {
		t.Errorf("the service's command line %v, %v; want --event-retention 90d", sc.Arguments, err)
	}
}
