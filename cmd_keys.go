package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"portal/internal/datafolder"
	"portal/store"
)

// cmdKeys manages API keys. It goes through the running server's admin socket
// when there is one (the server holds the store's lock), else opens the store.
func cmdKeys(args []string) error {
	if len(args) == 0 {
		return usageErr("keys needs create, list or revoke")
	}
	fs := flag.NewFlagSet("keys "+args[0], flag.ContinueOnError)
	data := dataFlag(fs)
	var in store.KeyInput
	var scopes string
	if args[0] == "create" {
		fs.StringVar((*string)(&in.Type), "type", "", "plugin, developer, internal, user or app")
		fs.StringVar(&in.Name, "name", "", "what the key is for")
		fs.StringVar(&scopes, "scopes", "", "comma-separated scopes (default: the type's)")
		fs.StringVar(&in.Tier, "tier", "", store.TierNames+" (default: paid; internal keys unlimited)")
		fs.Func("user", "user id (user keys)", func(v string) (err error) {
			in.UserID, err = strconv.ParseUint(v, 10, 64)
			return err
		})
	}
	rest, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if scopes != "" {
		in.Scopes = strings.Split(scopes, ",")
	}
	keys := keyAdmin{dir: datafolder.Dir(*data)}
	switch args[0] {
	case "create":
		if len(rest) > 0 {
			return usageErr("keys create takes flags only")
		}
		k, err := keys.create(in)
		if err != nil {
			return err
		}
		// The secret alone on stdout so scripts can capture it; app
		// credentials print the app id, then the secret.
		fmt.Println(k.Secret)
		if k.AppSecret != "" {
			fmt.Println(k.AppSecret)
		}
		fmt.Fprintf(os.Stderr, "created key %d (%s, %s): store it now, it is not shown again\n", k.ID, k.Type, k.Name)
		return nil
	case "list":
		list, err := keys.list()
		if err != nil {
			return err
		}
		printKeys(os.Stdout, list)
		return nil
	case "revoke":
		if len(rest) != 1 {
			return usageErr("keys revoke takes one key id")
		}
		id, err := strconv.ParseUint(rest[0], 10, 64)
		if err != nil {
			return usageErr("key id %q is not a number", rest[0])
		}
		k, err := keys.revoke(id)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "revoked key %d (%s)\n", k.ID, k.Name)
		return nil
	}
	return usageErr("unknown keys command %q", args[0])
}

func printKeys(w io.Writer, list []store.APIKey) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tNAME\tKEY\tTIER\tSCOPES\tCREATED\tSTATUS")
	for _, k := range list {
		status := "active"
		if k.RevokedAt != nil {
			status = "revoked " + k.RevokedAt.Format(time.DateOnly)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s…%s\t%s\t%d\t%s\t%s\n", k.ID, k.Type, k.Name, k.Prefix, k.Last4, k.Tier,
			len(k.Scopes), k.CreatedAt.Format(time.DateOnly), status)
	}
	tw.Flush()
}

// keyAdmin runs one key operation through the socket or the store.
type keyAdmin struct{ dir datafolder.Dir }

func (a keyAdmin) create(in store.KeyInput) (store.NewKey, error) {
	var k store.NewKey
	err := a.do(http.MethodPost, "/admin/keys", in, &k, func(s *datafolder.Stores) (err error) {
		k, err = s.Live.CreateKey(context.Background(), in, s.Sealer)
		return err
	})
	return k, err
}

func (a keyAdmin) list() ([]store.APIKey, error) {
	var list []store.APIKey
	err := a.do(http.MethodGet, "/admin/keys", nil, &list, func(s *datafolder.Stores) (err error) {
		list, err = s.Live.Keys()
		return err
	})
	return list, err
}

func (a keyAdmin) revoke(id uint64) (store.APIKey, error) {
	var k store.APIKey
	err := a.do(http.MethodPost, fmt.Sprintf("/admin/keys/%d/revoke", id), nil, &k, func(s *datafolder.Stores) (err error) {
		k, err = s.Live.RevokeKey(context.Background(), id)
		return err
	})
	return k, err
}

func (a keyAdmin) do(method, path string, body, out any, direct func(*datafolder.Stores) error) error {
	if c := a.dir.Admin(); c != nil {
		return c.Call(method, path, body, out)
	}
	s, err := a.dir.Open(2 * time.Second)
	if err != nil {
		return err
	}
	defer s.Close()
	return direct(s)
}
