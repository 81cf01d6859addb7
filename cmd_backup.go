package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"portal/internal/datafolder"
)

// cmdBackup writes one archive of the data folder: through the running
// server's admin socket when there is one, else from the stores directly.
func cmdBackup(args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	data := dataFlag(fs)
	out := fs.String("out", "", "the archive to write (.tar.gz)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *out == "" || len(rest) > 0 {
		return usageErr("backup takes --out FILE and no arguments")
	}
	dir := datafolder.Dir(*data)
	ctx, stop := signalContext()
	defer stop()
	size, err := datafolder.WriteArchiveFile(*out, func(w io.Writer) error { return dir.Backup(ctx, w, version) })
	if err != nil {
		return err
	}
	fmt.Printf("%s\t%d bytes\n", *out, size)
	return nil
}

// signalContext ends at Ctrl+C or SIGTERM, so an interrupted command
// cleans up after itself.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
