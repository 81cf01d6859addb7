package chain

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"portal/store"
)

// blockedError is an event the hub does not take for now, while the
// connection is fine: too large, refused by the stream, or its id held by
// another shop's message. Nothing after it is published until it is in; the
// session tries again with backoff.
type blockedError struct{ msg string }

func (e *blockedError) Error() string { return e.msg }

func blocked(format string, a ...any) error { return &blockedError{fmt.Sprintf(format, a...)} }

// subject is where an event of store m goes.
func subject(shop string, m store.Mode, name string) string {
	if m == store.Test {
		return "portal." + shop + ".test." + name
	}
	return "portal." + shop + "." + name
}

// ours reports whether a message's subject and headers make it store m's
// event seq of this shop.
func ours(shop string, m store.Mode, subj string, h nats.Header, seq uint64) bool {
	prefix, test := "portal."+shop+".", "portal."+shop+".test."
	if !strings.HasPrefix(subj, prefix) || strings.HasPrefix(subj, test) != (m == store.Test) {
		return false
	}
	return h.Get(HeaderStore) == string(m) && h.Get(HeaderSeq) == strconv.FormatUint(seq, 10)
}

// batch is a batch of events out for acks: published asynchronously, its
// futures awaited in order.
type batch struct {
	events  []store.StoredEvent
	futures []jetstream.PubAckFuture // for events[:len(futures)]; nil: in the stream already
	err     error                    // publishing stopped before the end of events
}

// drain publishes s's events after its cursor until it is caught up. Two
// batches are out at a time: the next is published while the acks of the
// one before come back, and each batch's cursor commit is written while the
// next one's acks come in, so neither the round trip nor the commit's fsync
// stalls the stream of messages. The cursor still moves only over
// acknowledged events, batch by batch, in order. Once a batch stops short
// (an event that cannot be sent), nothing more is read: what is out is
// awaited, the cursor moves over the acknowledged prefix and drain returns
// why. careful sends the first event alone and awaits it before the rest
// (it was held up the last time). moved says the cursor moved: once the
// careful event is in, batches are pipelined again, so a later refusal may
// have left events after it in the stream.
func (p *Publisher) drain(ctx context.Context, c *conn, s *store.Store, careful bool) (moved bool, err error) {
	cursor, last, err := s.NATSCursor()
	if err != nil {
		return false, err
	}
	start := cursor
	mode := s.Mode()
	p.setCursor(mode, cursor)
	// One cursor commit at a time runs beside the publishing; drain never
	// returns with one in flight.
	var committing chan error
	settle := func(err error) (bool, error) {
		if committing != nil {
			if cerr := <-committing; err == nil {
				err = cerr
			}
			committing = nil
		}
		return cursor != start, err
	}
	read := cursor // the last event sent (acknowledged or not)
	var out *batch
	// A short batch reached the log's end (or a batch stopped short): drain
	// finishes what is out and returns rather than chase each new commit
	// with a batch and a cursor commit of its own; the session's wake
	// gathers those (commitCoalesce).
	atEnd := false
	first := true
	for {
		var events []store.StoredEvent
		if !atEnd {
			size := p.batch
			if careful && first {
				size = 1
			}
			if events, err = s.EventsAfter(read, size); err != nil {
				return settle(err)
			}
			atEnd = len(events) < size
			if first && len(events) > 0 && events[0].Seq != cursor+1 {
				p.notePruned(c.gen, mode, max(last, events[len(events)-1].Seq), cursor+1, events[0].Seq-1)
			}
			if events, err = p.withStored(c, s, events); err != nil {
				return settle(err)
			}
		}
		var next *batch
		if len(events) > 0 {
			next = p.publish(c, mode, events)
			if n := len(next.futures); n > 0 {
				read = events[n-1].Seq
			}
			if next.err != nil {
				atEnd = true // read no further: nothing is published past an event that is not
			}
		}
		if out == nil && careful && first && next != nil {
			out, next = next, nil // await the first event alone
		}
		first = false
		if out != nil {
			acked, sseq, ackErr := p.awaitAcks(ctx, c, mode, out)
			if acked > 0 {
				if _, err := settle(nil); err != nil {
					return true, err
				}
				after, through := cursor, out.events[acked-1].Seq
				cursor = through
				done := make(chan error, 1)
				committing = done
				p.published(mode, acked)
				for seq, at := range c.storedAt[mode] {
					if seq > through && at < sseq {
						sseq = 0 // stored before the cursor's message: keep the older stream seq
					}
				}
				go func() { done <- p.moveCursor(s, after, through, sseq) }()
			}
			if ackErr != nil {
				return settle(ackErr)
			}
			out = nil
		}
		if next == nil {
			if atEnd {
				return settle(nil)
			}
			continue // careful: the first event is in, the rest follows
		}
		if next.err != nil && len(next.futures) == 0 {
			return settle(next.err)
		}
		out = next
	}
}

// withStored extends events with the run of events after them the stream
// holds already (c.stored: past a gap, before the event sent again), so
// the cursor moves over that run in the same commit as the event before
// it: a cursor left just before them would name a message stored after
// them, and reading the stream back from there would miss them.
func (p *Publisher) withStored(c *conn, s *store.Store, events []store.StoredEvent) ([]store.StoredEvent, error) {
	stored := c.stored[s.Mode()]
	for len(events) > 0 && len(stored) > 0 {
		end := events[len(events)-1].Seq
		if _, ok := stored[end+1]; !ok {
			return events, nil
		}
		more, err := s.EventsAfter(end, p.batch)
		if err != nil {
			return nil, err
		}
		n := 0
		for _, ev := range more {
			if ev.Seq != end+1 || stored[ev.Seq] != ev.ID {
				break
			}
			end, n = ev.Seq, n+1
		}
		if n == 0 {
			return events, nil
		}
		events = append(events[:len(events):len(events)], more[:n]...)
	}
	return events, nil
}

// pruned says which events of the log went before they were sent.
func pruned(m store.Mode, from, through uint64) string {
	if from == through {
		return fmt.Sprintf("%s event %d was pruned before it was sent", m, from)
	}
	return fmt.Sprintf("%s events %d–%d were pruned before they were sent", m, from, through)
}

// publish sends events asynchronously, stopping at the first that cannot be
// sent.
func (p *Publisher) publish(c *conn, mode store.Mode, events []store.StoredEvent) *batch {
	b := &batch{events: events, futures: make([]jetstream.PubAckFuture, 0, len(events))}
	for _, ev := range events {
		if id, ok := c.stored[mode][ev.Seq]; ok && id == ev.ID {
			b.futures = append(b.futures, nil) // in the stream already, past a gap
			continue
		}
		if ev.ID == "" {
			b.err = fmt.Errorf("%s event %d (%s) has no event id", mode, ev.Seq, ev.Name)
			break
		}
		msg := &nats.Msg{Subject: subject(c.cfg.Shop, mode, ev.Name), Data: ev.JSON, Header: nats.Header{
			jetstream.MsgIDHeader: []string{ev.ID},
			HeaderStore:           []string{string(mode)},
			HeaderSeq:             []string{strconv.FormatUint(ev.Seq, 10)},
		}}
		if size := msgSize(msg); size > c.limit {
			b.err = tooLarge(mode, ev, size, c.limit)
			break
		}
		// No retry on "no responders": nats.go would send the message
		// again from a timer, after the batches behind it (out of order);
		// the refusal path sends it again in order instead.
		f, err := c.js.PublishMsgAsync(msg, jetstream.WithRetryAttempts(0))
		if err == nil && p.sent != nil {
			p.sent(mode, ev.Seq)
		}
		if errors.Is(err, nats.ErrMaxPayload) {
			b.err = tooLarge(mode, ev, msgSize(msg), c.limit)
			break
		}
		if err != nil {
			b.err = fmt.Errorf("publishing %s event %d: %w", mode, ev.Seq, err)
			break
		}
		b.futures = append(b.futures, f)
	}
	return b
}

func tooLarge(mode store.Mode, ev store.StoredEvent, size, limit int) error {
	return blocked("%s event %d (%s) is %s, over the hub's limit of %s", mode, ev.Seq, ev.Name, kb(size), kb(limit))
}

// msgSize is what the hub counts against its limits: the body and the
// headers as sent.
func msgSize(m *nats.Msg) int {
	n := len(m.Data) + len("NATS/1.0\r\n\r\n")
	for k, vs := range m.Header {
		for _, v := range vs {
			n += len(k) + len(": \r\n") + len(v)
		}
	}
	return n
}

// kb is a size in KB, to a tenth.
func kb(n int) string {
	s := strconv.FormatFloat(float64(n)/1024, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + " KB"
}

// awaitAcks waits for b's acks in order and returns how many events of its
// start JetStream acknowledged as stored (ours), the stream seq of the last
// of them (0: not known), with why it stopped short.
func (p *Publisher) awaitAcks(ctx context.Context, c *conn, mode store.Mode, b *batch) (acked int, sseq uint64, failed error) {
	failed = b.err
wait:
	for i, f := range b.futures {
		ev := b.events[i]
		if f == nil { // in the stream already
			acked++
			sseq = c.storedAt[mode][ev.Seq]
			continue
		}
		select {
		case ack := <-f.Ok():
			if ack.Duplicate {
				if err := p.checkDuplicate(ctx, c, mode, ev, ack.Sequence); err != nil {
					failed = err
					break wait
				}
			}
			acked++
			sseq = ack.Sequence
		case err := <-f.Err():
			failed = refused(c, mode, ev, err)
			break wait
		case <-c.lost:
			failed = errors.New("disconnected while waiting for acks")
			break wait
		case <-ctx.Done():
			failed = context.Cause(ctx)
			break wait
		}
	}
	return acked, sseq, failed
}

// refused words an error in place of an ack: the stream refusing the
// message (too large, full with discard new, no leader for a moment) holds
// the store up with the reason; a lost connection or a missing ack ends the
// session.
func refused(c *conn, mode store.Mode, ev store.StoredEvent, err error) error {
	select {
	case <-c.lost:
		return errors.New("disconnected while waiting for acks")
	default:
	}
	var api *jetstream.APIError
	if errors.As(err, &api) || errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) {
		return blocked("the hub refused %s event %d (%s): %v; it is sent again", mode, ev.Seq, ev.Name, err)
	}
	return fmt.Errorf("JetStream did not acknowledge %s event %d: %w", mode, ev.Seq, err)
}

// checkDuplicate accepts an ack that says the stream held ev's id already
// only when the message holding it is ev (sent before, by us): event ids
// are not unique across branches, and another shop's message with the same
// id would swallow ev. The stream drops the id after its duplicate window,
// so a collision clears by itself.
func (p *Publisher) checkDuplicate(ctx context.Context, c *conn, mode store.Mode, ev store.StoredEvent, seq uint64) error {
	m, err := c.stream.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return blocked("%s event %d (%s) was not stored: the stream holds its id %s for a message since removed; it is sent again once the hub's duplicate window has passed", mode, ev.Seq, ev.Name, ev.ID)
	}
	if err != nil {
		return fmt.Errorf("reading the stream's message %d: %w", seq, err)
	}
	if ours(c.cfg.Shop, mode, m.Subject, m.Header, ev.Seq) {
		return nil
	}
	return blocked("%s event %d (%s) was not stored: another shop's message (%s, stream seq %d) holds its event id %s; it is sent again once the hub's duplicate window has passed", mode, ev.Seq, ev.Name, m.Subject, seq, ev.ID)
}

// moveCursor writes the cursor over an acknowledged prefix. It outlives a
// session's end: what JetStream acknowledged is recorded even when the
// config changes meanwhile.
func (p *Publisher) moveCursor(s *store.Store, after, through, sseq uint64) error {
	if p.beforeCursor != nil {
		if err := p.beforeCursor(s.Mode(), through); err != nil {
			return err
		}
	}
	if err := s.MoveNATSCursor(context.Background(), after, through, sseq); err != nil {
		return err
	}
	p.setCursor(s.Mode(), through)
	return nil
}

func (p *Publisher) published(m store.Mode, n int) {
	p.mu.Lock()
	p.lastPub[m] = p.o.Now().UTC()
	p.mu.Unlock()
	if p.metrics != nil {
		p.metrics.published.WithLabelValues(string(m)).Add(float64(n))
	}
}
