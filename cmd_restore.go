package main

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"portal/internal/datafolder"
)

// cmdRestore puts a backup archive in place of the data folder's files.
func cmdRestore(args []string) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	data := dataFlag(fs)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageErr("restore takes one archive file")
	}
	res, err := datafolder.Dir(*data).Restore(rest[0], time.Now())
	if err != nil {
		return err
	}
	m := res.Manifest
	fmt.Printf("Restored %s (portal %s, made %s) into %s\n", rest[0], m.PortalVersion,
		m.CreatedAt.Format(time.RFC3339), *data)
	if len(res.Replaced) == 0 {
		fmt.Println("Nothing was replaced: the data folder held no data.")
		return nil
	}
	fmt.Printf("Replaced %s; the previous files are kept in %s\n", strings.Join(res.Replaced, ", "), res.KeptIn)
	return nil
}
