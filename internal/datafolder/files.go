package datafolder

import (
	"context"
	"log/slog"
	"time"

	"portal/store"
)

// collectEvery is how often the unreferenced attachment files are swept.
const collectEvery = 24 * time.Hour

// StartFileCollection removes, at once and then daily, the attachment files
// no record of their store points to (deleted attachments, uploads whose
// record never came) once they are older than store.FileGrace. stop ends it
// and waits.
func (s *Stores) StartFileCollection(ctx context.Context, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(collectEvery)
		defer tick.Stop()
		for {
			collectFiles(log, s.Live, s.Test)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// collectFiles sweeps each store's files once and logs what went.
func collectFiles(log *slog.Logger, stores ...*store.Store) {
	for _, st := range stores {
		n, err := st.CollectFiles(store.FileGrace)
		switch {
		case err != nil:
			log.Error("collecting unreferenced files", "store", st.Mode(), "err", err)
		case n > 0:
			log.Info("collected unreferenced files", "store", st.Mode(), "files", n)
		}
	}
}
