package datafolder

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"testing"
)

// rewriteEntry copies a gzip'd tar, passing the named entry's bytes through change.
func rewriteEntry(t *testing.T, archive []byte, name string, change func([]byte)) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	found := false
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Name == name {
			change(b)
			found = true
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write(b)
	}
	if !found {
		t.Fatalf("no entry %s", name)
	}
	tw.Close()
	zw.Close()
	return out.Bytes()
}
