package chain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"portal/store"
)

var jsonUnmarshal = json.Unmarshal

// ensureStream finds the stream, creating it when missing (subjects
// portal.>, file storage, a 2-minute duplicate window). A stream the hub's
// operator made is left as it is: one whose subjects miss this shop's is an
// error, a duplicate window under 2 minutes a warning.
func ensureStream(ctx context.Context, js jetstream.JetStream, cfg Config) (jetstream.Stream, string, error) {
	name := cfg.stream()
	st, err := js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		st, err = js.CreateStream(ctx, jetstream.StreamConfig{
			Name:        name,
			Description: "Portal shops' event logs (portal.<shop>.<event>)",
			Subjects:    []string{"portal.>"},
			Storage:     jetstream.FileStorage,
			Duplicates:  dupWindow,
		})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) { // another branch made it meanwhile
			st, err = js.Stream(ctx, name)
		}
	}
	if err != nil {
		return nil, "", fmt.Errorf("stream %s: %w", name, err)
	}
	sc := st.CachedInfo().Config
	want := []string{"portal." + cfg.Shop + ".>"}
	if cfg.IncludeTest {
		want = append(want, "portal."+cfg.Shop+".test.>")
	}
	for _, w := range want {
		if !covers(sc.Subjects, w) {
			return nil, "", fmt.Errorf("stream %s does not take the subjects %s (its subjects: %s)", name, w, strings.Join(sc.Subjects, ", "))
		}
	}
	warning := ""
	if sc.Duplicates < dupWindow {
		warning = fmt.Sprintf("stream %s keeps message ids for duplicates only %s (at least %s is advised)", name, sc.Duplicates, dupWindow)
	}
	return st, warning, nil
}

// covers reports whether one of the patterns matches every subject that
// subject (itself a pattern ending in ">") matches.
func covers(patterns []string, subject string) bool {
	want := strings.Split(subject, ".")
	for _, p := range patterns {
		have := strings.Split(p, ".")
		ok := true
		for i, tok := range have {
			if tok == ">" {
				break
			}
			if i >= len(want) || want[i] == ">" || (tok != "*" && tok != want[i]) {
				ok = false
				break
			}
			if i == len(have)-1 { // the pattern ends before the subject's ">"
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// reconcile moves s's cursor up to the last of its events the stream holds:
// the stream's last message for this shop (and store) names a seq and an
// event id; when that event of our log has that id, everything through it
// was acknowledged once (a crash came between the ack and the cursor write).
func (p *Publisher) reconcile(ctx context.Context, st jetstream.Stream, cfg Config, s *store.Store) error {
	mode := s.Mode()
	var filter string
	if mode == store.Test {
		filter = "portal." + cfg.Shop + ".test.>"
	} else {
		filter = "portal." + cfg.Shop + ".>"
	}
	seq, id, err := lastOf(ctx, st, filter, mode)
	if err != nil || seq == 0 {
		return err
	}
	cursor, last, err := s.NATSCursor()
	if err != nil || seq <= cursor || seq > last {
		return err
	}
	if got, err := s.EventSeq(id); err != nil || got != seq {
		return nil // not an event of this log (another shop with our id, an older backup)
	}
	p.o.Log.Info("chain: the stream already holds events past the cursor", "store", mode, "cursor", cursor, "through", seq)
	return s.MoveNATSCursor(ctx, cursor, seq)
}

// lastOf returns the Portal-Seq and Nats-Msg-Id of the stream's last message
// under filter from store mode (0 when none). The live filter takes test
// events too: when the last one is a test event, each live subject's last
// message is read instead.
func lastOf(ctx context.Context, st jetstream.Stream, filter string, mode store.Mode) (uint64, string, error) {
	seq, id, m, err := lastMsg(ctx, st, filter)
	if err != nil || seq == 0 || m == mode {
		return seq, id, err
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(filter))
	if err != nil {
		return 0, "", err
	}
	testPrefix := strings.TrimSuffix(filter, ">") + "test."
	var best uint64
	var bestID string
	for subj := range info.State.Subjects {
		if mode != store.Test && strings.HasPrefix(subj, testPrefix) {
			continue
		}
		seq, id, m, err := lastMsg(ctx, st, subj)
		if err != nil {
			return 0, "", err
		}
		if m == mode && seq > best {
			best, bestID = seq, id
		}
	}
	return best, bestID, nil
}

func lastMsg(ctx context.Context, st jetstream.Stream, subject string) (uint64, string, store.Mode, error) {
	msg, err := st.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, "", "", nil
	}
	if err != nil {
		return 0, "", "", err
	}
	seq, err := strconv.ParseUint(msg.Header.Get(HeaderSeq), 10, 64)
	if err != nil {
		return 0, "", "", nil // not one of ours
	}
	return seq, msg.Header.Get(jetstream.MsgIDHeader), store.Mode(msg.Header.Get(HeaderStore)), nil
}

// nkeysJWT and nkeysSign authenticate with a .creds file's contents.
func nkeysJWT(creds []byte) (string, error) {
	return nkeys.ParseDecoratedJWT(creds)
}

func nkeysSign(creds, nonce []byte) ([]byte, error) {
	kp, err := nkeys.ParseDecoratedNKey(creds)
	if err != nil {
		return nil, err
	}
	defer kp.Wipe()
	return kp.Sign(nonce)
}
