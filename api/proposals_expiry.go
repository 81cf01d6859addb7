package api

import (
	"context"
	"errors"
	"time"

	"portal/store"
)

// proposalExpiryEvery is how often the serving process expires the
// proposals whose expires_at has passed: a minute late is soon enough for a
// quote dated to the day.
const proposalExpiryEvery = time.Minute

// ExpireProposals runs one expiry pass over both stores, by their clocks,
// and says how many proposals it moved to Expired. RunProposalExpiry calls
// it every minute; tests call it after moving the clock.
func (s *Server) ExpireProposals(ctx context.Context) (int, error) {
	total := 0
	var errs []error
	for _, st := range []*store.Store{s.cfg.Live, s.cfg.Test} {
		if st == nil {
			continue
		}
		n, err := st.ExpireProposals(ctx)
		total += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return total, errors.Join(errs...)
}

// RunProposalExpiry expires due proposals every minute until ctx ends (each
// with its proposal.status_changed event, to webhooks and the live feed as
// any).
func (s *Server) RunProposalExpiry(ctx context.Context) {
	tick := time.NewTicker(proposalExpiryEvery)
	defer tick.Stop()
	for {
		if n, err := s.ExpireProposals(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Error("proposal expiry", "err", err)
		} else if n > 0 {
			s.cfg.Log.Info("proposal expiry", "proposals", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
