package chain

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"portal/store"
)

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

// clockSlack is how far the branch's clock (the event ids' times) and the
// hub's (the stream's timestamps) may disagree when reconcile, not knowing
// where the cursor's message is in the stream, picks a time to start
// reading the stream back from.
const clockSlack = 10 * time.Minute

// filterOf is the subjects of store m's events of this shop; the live one
// takes the test events too (told apart by subject and Portal-Store).
func filterOf(shop string, m store.Mode) string {
	if m == store.Test {
		return "portal." + shop + ".test.>"
	}
	return "portal." + shop + ".>"
}

// readMsg is a message reconcile read back: its Nats-Msg-Id and stream seq.
type readMsg struct {
	id   string
	sseq uint64
}

// reconcile moves s's cursor over the events the stream already holds past
// it (sent, acknowledged, and then a crash before the cursor write): it
// reads this shop's messages back from just after the cursor's message (its
// stream seq is kept beside the cursor; when the stream does not hold it
// there, from a little before the time of the event after the cursor) up to
// the stream's last one, and moves the cursor only over the unbroken run
// cursor+1, cursor+2, … whose Nats-Msg-Id are our log's ids. Where the run
// breaks (a message the stream refused while later ones were stored) the
// cursor stops, and the missing event is sent again; the note says so. The
// events past the gap the stream holds are not sent again (c.stored).
func (p *Publisher) reconcile(ctx context.Context, c *conn, s *store.Store) (note string, err error) {
	mode := s.Mode()
	cursor, last, err := s.NATSCursor()
	if err != nil || cursor >= last {
		return "", err
	}
	filter := filterOf(c.cfg.Shop, mode)
	lastMsg, err := c.stream.GetLastMsgForSubject(ctx, filter)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	cc := jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}, HeadersOnly: true, DeliverPolicy: jetstream.DeliverAllPolicy,
		InactiveThreshold: 30 * time.Second} // gone soon after the read, not left on the hub for minutes
	from, err := cursorMsg(ctx, c, s, cursor)
	if err != nil {
		return "", err
	}
	switch newest, ok, err := ourEvent(c.cfg.Shop, s, lastMsg.Subject, lastMsg.Header); {
	case err != nil:
		return "", err
	case from > 0:
		if lastMsg.Sequence <= from {
			return "", nil // the shop's newest message is the cursor's or older: nothing past it is in
		}
		cc.DeliverPolicy, cc.OptStartSeq = jetstream.DeliverByStartSequencePolicy, from+1
	case ok && newest <= cursor:
		return "", nil // the shop's newest message is one of ours the cursor is past: nothing past it is in
	default:
		// Where the cursor's message is is not known (a new stream or hub,
		// a purged stream, the first run): from a little before the next
		// event's time, unless the branch's clock is so far ahead of the
		// hub's that nothing would be read: then from the start.
		next, err := s.EventsAfter(cursor, 1)
		if err != nil || len(next) == 0 {
			return "", err
		}
		if at, _, err := s.EventIDTime(next[0].ID); err == nil {
			if start := at.Add(-clockSlack); !lastMsg.Time.Before(start) {
				cc.DeliverPolicy, cc.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
			}
		}
	}
	stored, err := readBack(ctx, c.stream, cc, lastMsg.Sequence, func(subj string, h nats.Header) (uint64, bool) {
		seq, err := strconv.ParseUint(h.Get(HeaderSeq), 10, 64)
		if err != nil || seq <= cursor || !ours(c.cfg.Shop, mode, subj, h, seq) {
			return 0, false
		}
		return seq, true
	})
	if err != nil || len(stored) == 0 {
		return "", err
	}
	through := cursor
	gone := false // the run broke at events pruned before they were sent, not at one the stream refused
run:
	for through < last {
		events, err := s.EventsAfter(through, p.batch)
		if err != nil {
			return "", err
		}
		for _, ev := range events {
			if ev.Seq != through+1 {
				gone = true
				break run
			}
			if stored[ev.Seq].id != ev.ID {
				break run
			}
			through = ev.Seq
		}
		if len(events) == 0 {
			gone = true
			break
		}
	}
	later, laterAt := map[uint64]string{}, map[uint64]uint64{}
	for seq, m := range stored {
		if seq > through+1 {
			later[seq], laterAt[seq] = m.id, m.sseq
		}
	}
	c.stored[mode], c.storedAt[mode] = later, laterAt
	if len(later) > 0 && !gone { // a gap of pruned events is noted by drain
		note = fmt.Sprintf("the hub's stream holds %d %s events after event %d but not event %d (refused when it was sent): it is sent again, after them", len(later), mode, through, through+1)
	}
	if through == cursor {
		return note, nil
	}
	p.o.Log.Info("chain: the stream already holds events past the cursor", "store", mode, "cursor", cursor, "through", through)
	keep := stored[through].sseq
	for _, at := range laterAt {
		if at < keep {
			keep = 0 // events past the cursor are stored before its message: keep the older stream seq
		}
	}
	if err := s.MoveNATSCursor(ctx, cursor, through, keep); err != nil {
		return "", err
	}
	p.setCursor(mode, through)
	return note, nil
}

// cursorMsg is the stream seq kept beside s's cursor, once the stream's
// message there is checked to be ours (this shop's, this store's, an event
// at or before the cursor, with its id); 0 when not known or not ours (a
// new stream or hub, a purged stream, the first run).
func cursorMsg(ctx context.Context, c *conn, s *store.Store, cursor uint64) (uint64, error) {
	sseq, err := s.NATSStreamSeq()
	if err != nil || sseq == 0 || cursor == 0 {
		return 0, err
	}
	m, err := c.stream.GetMsg(ctx, sseq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	seq, ok, err := ourEvent(c.cfg.Shop, s, m.Subject, m.Header)
	if err != nil || !ok || seq > cursor {
		return 0, err
	}
	return sseq, nil
}

// ourEvent reports whether a message of the stream is one of s's events as
// this shop sent it (its subject, Portal-Store, and a Portal-Seq naming an
// event of the log whose id is its Nats-Msg-Id), and that event's seq.
func ourEvent(shop string, s *store.Store, subj string, h nats.Header) (uint64, bool, error) {
	seq, err := strconv.ParseUint(h.Get(HeaderSeq), 10, 64)
	if err != nil || seq == 0 || !ours(shop, s.Mode(), subj, h, seq) {
		return 0, false, nil
	}
	events, err := s.EventsAfter(seq-1, 1)
	if err != nil || len(events) == 0 || events[0].Seq != seq || events[0].ID != h.Get(jetstream.MsgIDHeader) {
		return 0, false, err
	}
	return seq, true, nil
}

// readBack reads the stream's messages with an ordered consumer up to the
// stream seq end and returns, for those pick takes, their Nats-Msg-Id and
// stream seq by the seq pick returns.
func readBack(ctx context.Context, st jetstream.Stream, cc jetstream.OrderedConsumerConfig, end uint64,
	pick func(subj string, h nats.Header) (uint64, bool)) (map[uint64]readMsg, error) {
	cons, err := st.OrderedConsumer(ctx, cc)
	if err != nil {
		return nil, err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(500))
	if err != nil {
		return nil, err
	}
	defer it.Stop()
	out := map[uint64]readMsg{}
	for {
		m, err := next(ctx, it)
		if err != nil {
			return nil, err
		}
		md, err := m.Metadata()
		if err != nil {
			return nil, err
		}
		if seq, ok := pick(m.Subject(), m.Headers()); ok {
			out[seq] = readMsg{id: m.Headers().Get(jetstream.MsgIDHeader), sseq: md.Sequence.Stream}
		}
		if md.Sequence.Stream >= end {
			return out, nil
		}
	}
}

// next is the iterator's next message, waiting no longer than ackWait: the
// messages up to the stream's last one are there to be delivered.
func next(ctx context.Context, it jetstream.MessagesContext) (jetstream.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, ackWait)
	defer cancel()
	return it.Next(jetstream.NextContext(ctx))
}
