package logfile

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestServiceLogFileRotatesBySize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs", "portal.log")
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	f.max, f.keep = 100, 2
	line := []byte("0123456789012345678901234567890123456789\n") // 41 bytes
	for range 10 {
		if _, err := f.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	for _, name := range []string{"portal.log", "portal.log.1", "portal.log.2"} {
		fi, err := os.Stat(filepath.Join(filepath.Dir(path), name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() == 0 || fi.Size() > 100 {
			t.Errorf("%s holds %d bytes, want 1 to 100", name, fi.Size())
		}
	}
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Errorf("kept more than 2 old files: %v", err)
	}
}

// systemLog records what Tee hands the service manager's log.
type systemLog struct{ lines []string }

func (s *systemLog) Error(v ...any) error   { return s.add("error", v) }
func (s *systemLog) Warning(v ...any) error { return s.add("warning", v) }
func (s *systemLog) Info(v ...any) error    { return s.add("info", v) }
func (s *systemLog) add(level string, v []any) error {
	s.lines = append(s.lines, level+": "+v[0].(string))
	return nil
}

func TestTeeHandsEveryRecordToTheSystemLogAtItsLevel(t *testing.T) {
	sys := &systemLog{}
	log := slog.New(Tee(slog.NewTextHandler(io.Discard, nil), sys)).With("store", "live")
	log.Info("serving", "port", 8080)
	log.Warn("slow")
	log.Error("failed", "err", "disk full")
	log.Debug("not enabled") // the wrapped handler's level decides
	want := []string{"info: serving port=8080", "warning: slow", "error: failed err=disk full"}
	if !slices.Equal(sys.lines, want) {
		t.Fatalf("system log got %q, want %q", sys.lines, want)
	}
}
