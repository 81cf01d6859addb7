package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkStoreSize imports tickets as a shop would have them (a thousand
// customers, devices with serials, issues of a few words, every status,
// assignees and due dates) and reports the file's bytes per ticket, with
// each bucket's share in the log:
//
//	go test -run '^$' -bench StoreSize -benchtime 1x ./store/                     # 20,000 tickets
//	PORTAL_SIZE_TICKETS=200000 go test -run '^$' -bench StoreSize -benchtime 1x -v ./store/
func BenchmarkStoreSize(b *testing.B) {
	importBatch := 64
	if v, err := strconv.Atoi(os.Getenv("PORTAL_SIZE_BATCH")); err == nil && v > 0 {
		importBatch = v
	}
	n := 20_000
	if v, err := strconv.Atoi(os.Getenv("PORTAL_SIZE_TICKETS")); err == nil && v > 0 {
		n = v
	}
	for range b.N {
		path := filepath.Join(b.TempDir(), "live.db")
		var tick int64
		base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		s, err := Open(path, Options{Now: func() time.Time { tick++; return base.Add(time.Duration(tick/50) * time.Second) }})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		var customers []uint64
		for i := range 1000 {
			c, err := s.CreateCustomer(ctx, CustomerInput{Name: fmt.Sprintf("Customer %d", i), Email: fmt.Sprintf("c%d@example.com", i), Phone: fmt.Sprintf("+1 555 %04d", i)})
			if err != nil {
				b.Fatal(err)
			}
			customers = append(customers, c.ID)
		}
		statuses := DefaultStatuses()
		issues := []string{"Cracked screen", "Battery drains overnight", "Will not charge", "No sound from speaker", "Water damage, will not power on"}
		rng := rand.New(rand.NewPCG(1, 2))
		for done := 0; done < n; done += importBatch {
			batch := make([]TicketInput, min(importBatch, n-done))
			for i := range batch {
				assignee := uint64(1 + rng.IntN(5))
				due := base.Add(time.Duration(rng.IntN(90*24)) * time.Hour)
				batch[i] = TicketInput{
					CustomerID: customers[rng.IntN(len(customers))],
					Device:     Device{Brand: "Apple", Model: "iPhone " + strconv.Itoa(10+rng.IntN(6)), Serial: fmt.Sprintf("F2LX%08d", rng.IntN(1e8))},
					Issue:      issues[rng.IntN(len(issues))],
					Status:     statuses[rng.IntN(len(statuses))].Name,
					AssignedTo: &assignee,
					DueAt:      Nullable[time.Time]{Set: true, Value: &due},
				}
			}
			if _, err := s.ImportTickets(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
		type share struct {
			name  string
			bytes int
		}
		var shares []share
		total := 0
		s.view(func(tx *bolt.Tx) error {
			return tx.ForEach(func(name []byte, bk *bolt.Bucket) error {
				st := bk.Stats()
				used := st.BranchAlloc + st.LeafAlloc
				shares = append(shares, share{string(name), used})
				total += used
				return nil
			})
		})
		if os.Getenv("PORTAL_SIZE_DETAIL") != "" {
			logBucketDetail(b, s, n)
		}
		s.Close()
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		slices.SortFunc(shares, func(x, y share) int { return y.bytes - x.bytes })
		for _, sh := range shares[:min(8, len(shares))] {
			b.Logf("%-24s %7.1f MB  %5.0f B/ticket", sh.name, float64(sh.bytes)/1e6, float64(sh.bytes)/float64(n))
		}
		b.ReportMetric(float64(total)/float64(n), "B/ticket")
		b.ReportMetric(float64(fi.Size())/float64(n), "file-B/ticket")
	}
}

// logBucketDetail logs every bucket and nested bucket with its keys, the
// bytes its pages hold and the bytes they take (how full they are).
func logBucketDetail(b *testing.B, s *Store, n int) {
	var walk func(prefix string, bk *bolt.Bucket)
	walk = func(prefix string, bk *bolt.Bucket) {
		st := bk.Stats()
		inuse, alloc := st.BranchInuse+st.LeafInuse, st.BranchAlloc+st.LeafAlloc
		if alloc == 0 {
			return
		}
		b.Logf("  %-28s keys %8d  inuse %5.0f  alloc %5.0f B/ticket  fill %3.0f%%", prefix, st.KeyN,
			float64(inuse)/float64(n), float64(alloc)/float64(n), 100*float64(inuse)/float64(alloc))
		bk.ForEachBucket(func(k []byte) error {
			walk(prefix+"/"+string(k), bk.Bucket(k))
			return nil
		})
	}
	s.view(func(tx *bolt.Tx) error {
		b.Logf("pages: %d of %d bytes; freelist %d free pages, %d pending", tx.Size()/int64(tx.DB().Info().PageSize), tx.Size(), tx.DB().Stats().FreePageN, tx.DB().Stats().PendingPageN)
		return tx.ForEach(func(name []byte, bk *bolt.Bucket) error {
			walk(string(name), bk)
			return nil
		})
	})
}
