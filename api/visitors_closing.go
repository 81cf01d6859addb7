package api

import (
	"context"
	"errors"
	"time"

	"portal/store"
)

// closingTimeEvery is how often the serving process checks out the visitors
// whose location has closed.
const closingTimeEvery = time.Minute

// CheckOutAtClosingTime runs one pass of the closing-time check-out over
// both stores, by their clocks, and says how many visitors it checked out.
// RunClosingTime calls it every minute; tests call it after moving the clock.
func (s *Server) CheckOutAtClosingTime(ctx context.Context) (int, error) {
	total := 0
	var errs []error
	for _, st := range []*store.Store{s.cfg.Live, s.cfg.Test} {
		if st == nil {
			continue
		}
		n, err := st.CheckOutAtClosingTime(ctx)
		total += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return total, errors.Join(errs...)
}

// RunClosingTime checks out, every minute until ctx ends, each visitor
// still in after their location's closing time (checked_out_by
// "closing_time"; the events go to webhooks and the live feed as any).
func (s *Server) RunClosingTime(ctx context.Context) {
	tick := time.NewTicker(closingTimeEvery)
	defer tick.Stop()
	for {
		if n, err := s.CheckOutAtClosingTime(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Error("closing-time check-out", "err", err)
		} else if n > 0 {
			s.cfg.Log.Info("closing-time check-out", "visitors", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
