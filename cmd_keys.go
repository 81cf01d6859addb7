package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

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
	keys := keyAdmin{dir: dataDir(*data)}
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
type keyAdmin struct{ dir dataDir }

func (a keyAdmin) create(in store.KeyInput) (store.NewKey, error) {
	var k store.NewKey
	err := a.do(http.MethodPost, "/admin/keys", in, &k, func(s *stores) (err error) {
		k, err = s.live.CreateKey(context.Background(), in, s.sealer)
		return err
	})
	return k, err
}

func (a keyAdmin) list() ([]store.APIKey, error) {
	var list []store.APIKey
	err := a.do(http.MethodGet, "/admin/keys", nil, &list, func(s *stores) (err error) {
		list, err = s.live.Keys()
		return err
	})
	return list, err
}

func (a keyAdmin) revoke(id uint64) (store.APIKey, error) {
	var k store.APIKey
	err := a.do(http.MethodPost, fmt.Sprintf("/admin/keys/%d/revoke", id), nil, &k, func(s *stores) (err error) {
		k, err = s.live.RevokeKey(context.Background(), id)
		return err
	})
	return k, err
}

func (a keyAdmin) do(method, path string, body, out any, direct func(*stores) error) error {
	if c := a.dir.adminClient(); c != nil {
		return adminCall(c, method, path, body, out)
	}
	s, err := a.dir.open(2 * time.Second)
	if err != nil {
		return err
	}
	defer s.Close()
	return direct(s)
}

// adminCall sends one request over the admin socket and unwraps the envelope.
func adminCall(c *http.Client, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://portal"+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var env struct {
		Data  json.RawMessage `json:"data"`
		Error *struct {
			Code    string             `json:"code"`
			Message string             `json:"message"`
			Details []store.FieldError `json:"details"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return fmt.Errorf("admin socket: %w", err)
	}
	if env.Error != nil {
		msg := env.Error.Message
		for _, d := range env.Error.Details {
			msg += fmt.Sprintf("; %s: %s", d.Field, d.Message)
		}
		return errors.New(msg)
	}
	return json.Unmarshal(env.Data, out)
}
