package store

import (
	"fmt"
	"testing"
)

// BenchmarkSearchTickets searches 100,000 tickets for a rare word, a word in
// every ticket and two words, against listing the first page without a
// search (the baseline, measured in the same run): go test -run '^$'
// -bench SearchTickets ./store/
func BenchmarkSearchTickets(b *testing.B) {
	s := openTest(b)
	const n, chunk = 100_000, 5_000
	models := []string{"iPhone 13", "Galaxy S22", "Pixel 7", "ThinkPad T14"}
	for from := 0; from < n; from += chunk {
		c := mustCustomer(b, s, CustomerInput{Name: fmt.Sprintf("Customer %d", from), Phone: fmt.Sprintf("555-%04d", from/chunk)})
		in := make([]TicketInput, chunk)
		for i := range in {
			in[i] = TicketInput{CustomerID: c.ID, Issue: "Cracked screen", Device: Device{Brand: "Acme", Model: models[(from+i)%len(models)]}}
		}
		if _, err := s.ImportTickets(b.Context(), in); err != nil {
			b.Fatal(err)
		}
	}
	q := ListQuery{Desc: true, Page: 1, PerPage: 50}
	var base float64
	b.Run("list", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.ListTickets(q); err != nil {
				b.Fatal(err)
			}
		}
		base = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	for _, query := range []string{"55012", "pixel", "cracked", "acme galaxy"} {
		b.Run("q="+query, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.SearchTickets(q, query); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/base, "x-list")
		})
	}
}
