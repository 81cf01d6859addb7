package certs

import (
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"
)

// firstByteWait is how long a new connection may stay silent before it is
// dropped, unread: about the server's ReadHeaderTimeout.
const firstByteWait = 10 * time.Second

// SplitListener serves HTTPS and plain HTTP on one port. It reads each
// connection's first byte: 0x16 opens a TLS handshake record, so the
// connection is handed on as a *tls.Conn (net/http then fills r.TLS);
// anything else is plain HTTP, handed on as is, for api's RequireTLS to
// redirect or refuse. Classifying happens off the accept loop, so one
// silent client holds up nobody else.
type SplitListener struct {
	net.Listener
	config  *tls.Config
	conns   chan net.Conn
	errs    chan error
	closing chan struct{}
	once    sync.Once
}

// NewSplitListener classifies the connections ln accepts, handing TLS ones
// on under config; closing it closes ln.
func NewSplitListener(ln net.Listener, config *tls.Config) *SplitListener {
	s := &SplitListener{Listener: ln, config: config, conns: make(chan net.Conn),
		errs: make(chan error), closing: make(chan struct{})}
	go s.acceptLoop()
	return s
}

func (s *SplitListener) acceptLoop() {
	for {
		c, err := s.Listener.Accept()
		if err != nil {
			// Handed to the server, which backs off on temporary errors
			// (the unbuffered send waits for it) and stops on the rest.
			select {
			case s.errs <- err:
			case <-s.closing:
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		go s.classify(c)
	}
}

func (s *SplitListener) classify(c net.Conn) {
	var first [1]byte
	c.SetReadDeadline(time.Now().Add(firstByteWait))
	n, err := c.Read(first[:])
	for n == 0 && err == nil {
		n, err = c.Read(first[:])
	}
	if err != nil {
		c.Close()
		return
	}
	c.SetReadDeadline(time.Time{})
	var out net.Conn = &peekedConn{Conn: c, first: first[0], pending: true}
	if first[0] == 0x16 {
		out = tls.Server(out, s.config)
	}
	select {
	case s.conns <- out:
	case <-s.closing:
		c.Close()
	}
}

// Accept returns the next classified connection.
func (s *SplitListener) Accept() (net.Conn, error) {
	select {
	case c := <-s.conns:
		return c, nil
	case err := <-s.errs:
		return nil, err
	case <-s.closing:
		return nil, net.ErrClosed
	}
}

// Close stops accepting; connections still being classified are closed.
func (s *SplitListener) Close() error {
	err := net.ErrClosed
	s.once.Do(func() {
		close(s.closing)
		err = s.Listener.Close()
	})
	return err
}

// peekedConn gives back the byte classify read before the rest.
type peekedConn struct {
	net.Conn
	first   byte
	pending bool
}

func (c *peekedConn) Read(p []byte) (int, error) {
	if c.pending && len(p) > 0 {
		p[0] = c.first
		c.pending = false
		return 1, nil
	}
	return c.Conn.Read(p)
}
