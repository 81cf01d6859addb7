package api_test

// go test -run '^$' -bench ImportCustomers -benchtime 1x ./api/
// The same customers (PORTAL_IMPORT_ROWS, default 2,000), once as one CSV
// import and once through POST /customers one by one, in the same run on the
// same kind of store: rows per second each way and their ratio.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"portal/api"
	"portal/store"
)

func BenchmarkImportCustomers(b *testing.B) {
	rows := 2000
	if n, err := strconv.Atoi(os.Getenv("PORTAL_IMPORT_ROWS")); err == nil && n > 0 {
		rows = n
	}
	csvBody := []byte(customersCSV(rows, nil))
	var importTime, apiTime time.Duration
	for range b.N {
		hs, key, closeAll := benchServer(b)
		start := time.Now()
		req, _ := http.NewRequest(http.MethodPost, hs.URL+"/api/v1/import/customers", bytes.NewReader(csvBody))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "text/csv")
		res, err := hs.Client().Do(req)
		if err != nil || res.StatusCode != http.StatusCreated {
			b.Fatalf("import: %v %v", err, res.Status)
		}
		res.Body.Close()
		importTime += time.Since(start)
		closeAll()

		hs, key, closeAll = benchServer(b)
		start = time.Now()
		for i := range rows {
			body, _ := json.Marshal(map[string]string{"name": fmt.Sprintf("Customer %05d", i), "email": fmt.Sprintf("c%05d@example.com", i),
				"phone": fmt.Sprintf("+1 555 %07d", i), "company": "Shop, Inc."})
			req, _ := http.NewRequest(http.MethodPost, hs.URL+"/api/v1/customers", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+key)
			res, err := hs.Client().Do(req)
			if err != nil || res.StatusCode != http.StatusCreated {
				b.Fatalf("create: %v %v", err, res.Status)
			}
			res.Body.Close()
		}
		apiTime += time.Since(start)
		closeAll()
	}
	importRate := float64(rows*b.N) / importTime.Seconds()
	apiRate := float64(rows*b.N) / apiTime.Seconds()
	b.ReportMetric(importRate, "import-rows/s")
	b.ReportMetric(apiRate, "api-rows/s")
	b.ReportMetric(importRate/apiRate, "x-import/api")
	b.ReportMetric(0, "ns/op")
}

// benchServer is a fresh server over fresh stores with an internal key.
func benchServer(b *testing.B) (*httptest.Server, string, func()) {
	b.Helper()
	dir := b.TempDir()
	live, err := store.Open(filepath.Join(dir, "live.db"), store.Options{Mode: store.Live})
	if err != nil {
		b.Fatal(err)
	}
	test, err := store.Open(filepath.Join(dir, "test.db"), store.Options{Mode: store.Test})
	if err != nil {
		b.Fatal(err)
	}
	sealer, _ := store.LoadSealer(filepath.Join(dir, "seal.key"))
	k, err := live.CreateKey(context.Background(), store.KeyInput{Type: store.KeyInternal, Name: "bench"}, sealer)
	if err != nil {
		b.Fatal(err)
	}
	srv := api.New(api.Config{Live: live, Test: test, Sealer: sealer})
	srv.SetReady(true)
	hs := httptest.NewServer(srv.Handler())
	return hs, k.Secret, func() { hs.Close(); live.Close(); test.Close() }
}
