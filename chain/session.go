package chain

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"portal/store"
)

// conn is a session's connection to the hub.
type conn struct {
	cfg    Config
	gen    uint64
	js     jetstream.JetStream
	stream jetstream.Stream
	lost   <-chan struct{} // closed when the connection is lost
	// limit is the largest message the hub takes, headers included: the
	// server's max_payload or the stream's max_msg_size, the lower.
	limit      int
	maxPayload int
	// stored are events past a gap the stream holds already (reconcile
	// found them): they are not sent again, by seq, with their ids.
	stored map[store.Mode]map[uint64]string
	// storedAt are their stream seqs.
	storedAt map[store.Mode]map[uint64]uint64
	// created is when the stream was made, as the session found it: a
	// stream made again since holds none of what stored says.
	created time.Time
}

// readLimit sets c.limit from the server's max_payload and the stream's
// max_msg_size as info gives it.
func (c *conn) readLimit(info *jetstream.StreamInfo) {
	c.limit = c.maxPayload
	if m := info.Config.MaxMsgSize; m > 0 && int(m) < c.limit {
		c.limit = int(m)
	}
}

// session connects with cfg, makes sure of the stream, reconciles each
// store's cursor with the stream and publishes until the connection fails
// (an error), the config changes or ctx ends (nil). connected says it got
// as far as publishing.
func (p *Publisher) session(ctx context.Context, cfg Config, gen uint64) (connected bool, err error) {
	sctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	p.mu.Lock()
	if p.gen != gen {
		p.mu.Unlock()
		return false, nil
	}
	p.cancelConn = func() { cancel(errConfigChanged) }
	p.mu.Unlock()

	if err := cfg.Validate(); err != nil {
		return false, err
	}
	stores := p.stores(cfg)
	for _, s := range stores { // Hold's figure, while the hub is still away
		cursor, _, err := s.NATSCursor()
		if err != nil {
			return false, err
		}
		p.setCursor(s.Mode(), cursor)
	}
	lost := make(chan struct{})
	var lostOnce sync.Once
	opts := []nats.Option{
		nats.Name("portal chain publisher"),
		nats.Timeout(connectWait),
		// The dial ends with the session: a config change or shutdown does
		// not wait out connectWait for each server of the URL.
		nats.SetCustomDialer(ctxDialer{ctx: sctx, d: &net.Dialer{Timeout: connectWait}}),
		// A hub gone silent is noticed within a minute even when idle.
		nats.PingInterval(20 * time.Second),
		nats.MaxPingsOutstanding(3),
		// The publisher reconnects itself (reconciling the cursor first) and
		// never buffers while the hub is away: the log is the buffer.
		nats.NoReconnect(),
		nats.ReconnectBufSize(-1),
		nats.ClosedHandler(func(*nats.Conn) { lostOnce.Do(func() { close(lost) }) }),
		nats.DisconnectErrHandler(func(*nats.Conn, error) { lostOnce.Do(func() { close(lost) }) }),
		nats.NoCallbacksAfterClientClose(),
	}
	switch {
	case cfg.CredsFile != "":
		opts = append(opts, nats.UserCredentials(cfg.CredsFile))
	case cfg.Creds != "":
		opts = append(opts, credsOption(cfg.Creds))
	}
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		if sctx.Err() != nil {
			return false, p.ended(sctx, err)
		}
		return false, fmt.Errorf("cannot connect: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(2*p.batch), jetstream.WithPublishAsyncTimeout(ackWait))
	if err != nil {
		return false, err
	}
	stream, warning, err := ensureStream(sctx, js, cfg)
	if err != nil {
		return false, p.ended(sctx, err)
	}
	c := &conn{cfg: cfg, gen: gen, js: js, stream: stream, lost: lost, maxPayload: int(nc.MaxPayload()),
		stored: map[store.Mode]map[uint64]string{}, storedAt: map[store.Mode]map[uint64]uint64{}}
	c.readLimit(stream.CachedInfo())
	c.created = stream.CachedInfo().Created
	type noted struct {
		s    *store.Store
		last uint64
		msg  string
	}
	var notes []noted
	for _, s := range stores {
		note, err := p.reconcile(sctx, c, s)
		if err != nil {
			return false, p.ended(sctx, fmt.Errorf("reading back the stream's %s events: %w", s.Mode(), err))
		}
		if note != "" {
			_, last, err := s.NATSCursor()
			if err != nil {
				return false, err
			}
			notes = append(notes, noted{s, last, note})
		}
	}
	p.mu.Lock()
	if p.gen == gen {
		p.state, p.warning, p.blocked, p.logged, p.noted = StateConnected, warning, false, "", false
		if warning != "" {
			now := p.o.Now().UTC()
			p.errMsg, p.errAt = warning, &now
		} else {
			p.errMsg, p.errAt = "", nil
		}
	}
	p.mu.Unlock()
	if warning != "" {
		p.o.Log.Warn("chain: "+warning, "stream", cfg.stream())
	}
	p.o.Log.Info("chain: connected", "url", RedactURL(cfg.URL), "stream", cfg.stream(), "shop", cfg.Shop)
	p.setConnected(true)
	for _, n := range notes {
		p.note(gen, n.s.Mode(), n.last, n.msg)
	}

	// A store held up (blocked) is tried again with backoff, its first
	// event alone (careful) so nothing after it is stored meanwhile.
	blockedFor := 0
	careful := map[store.Mode]bool{}
	for {
		// Taken before reading, so no commit is missed; commits while a
		// batch is out coalesce into one more pass.
		var live, test <-chan struct{}
		for _, s := range stores {
			if s == p.o.Test {
				test = s.Committed()
			} else {
				live = s.Committed()
			}
		}
		var held error
		for _, s := range stores {
			moved, err := p.drain(sctx, c, s, careful[s.Mode()])
			var b *blockedError
			switch {
			case errors.As(err, &b) && sctx.Err() == nil:
				if !careful[s.Mode()] || moved {
					// Held up just now (or again, past the careful event):
					// the batches out may have put events after it in the
					// stream; once their acks are in, those are read back,
					// not to be sent again.
					t := time.NewTimer(ackWait)
					select {
					case <-js.PublishAsyncComplete():
					case <-t.C:
					case <-sctx.Done():
					}
					t.Stop()
					note, err := p.reconcile(sctx, c, s)
					if err != nil {
						return true, p.ended(sctx, fmt.Errorf("reading back the stream's %s events: %w", s.Mode(), err))
					}
					if note != "" {
						p.o.Log.Warn("chain: " + note)
					}
				}
				careful[s.Mode()] = true
				if held == nil {
					held = err
				}
			case err != nil:
				return true, p.ended(sctx, err)
			default:
				careful[s.Mode()] = false
			}
		}
		wait := commitCoalesce
		if held != nil {
			p.block(gen, held)
			wait = backoff(blockedFor)
			blockedFor++
			// The hub's operator may raise the stream's limit meanwhile, or
			// delete the stream (its messages then get no responder): the
			// session ends, and the next one makes the stream again.
			// So may a stream deleted and made again meanwhile (by the
			// operator or another branch): what reconcile found stored in
			// the old one is not in it, so that too ends the session.
			info, err := c.stream.Info(sctx)
			switch {
			case errors.Is(err, jetstream.ErrStreamNotFound):
				return true, p.ended(sctx, fmt.Errorf("stream %s: %w", cfg.stream(), err))
			case err == nil && !info.Created.Equal(c.created):
				return true, p.ended(sctx, fmt.Errorf("stream %s was made again on the hub", cfg.stream()))
			case err == nil:
				c.readLimit(info)
			}
		} else {
			if blockedFor > 0 {
				p.unblock(gen)
			}
			blockedFor = 0
			for _, s := range stores {
				if err := p.clearNote(gen, s); err != nil {
					return true, p.ended(sctx, err)
				}
			}
			select {
			case <-sctx.Done():
				return true, p.ended(sctx, nil)
			case <-lost:
				return true, p.lostErr(nc)
			case <-live:
			case <-test:
			}
		}
		// A busy shop commits often and the hub can wait a moment: the
		// commits of the next instant go out together, under one cursor
		// commit, so the mirror's commits do not crowd the shop's own disk.
		t := time.NewTimer(wait)
		select {
		case <-sctx.Done():
			t.Stop()
			return true, p.ended(sctx, nil)
		case <-lost:
			t.Stop()
			return true, p.lostErr(nc)
		case <-t.C:
		}
	}
}

// ctxDialer dials as net.Dialer does, giving up when ctx (the session)
// ends: while dialing, and after, by closing the connection, so a server
// that takes the connection and says nothing does not hold up Configure or
// the shutdown either.
type ctxDialer struct {
	ctx context.Context
	d   *net.Dialer
}

func (c ctxDialer) Dial(network, address string) (net.Conn, error) {
	conn, err := c.d.DialContext(c.ctx, network, address)
	if err != nil {
		return nil, err
	}
	context.AfterFunc(c.ctx, func() { conn.Close() })
	return conn, nil
}

// credsOption authenticates with a .creds file's contents.
func credsOption(creds string) nats.Option {
	return nats.UserJWT(func() (string, error) {
		return nkeysJWT([]byte(creds))
	}, func(nonce []byte) ([]byte, error) {
		return nkeysSign([]byte(creds), nonce)
	})
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
