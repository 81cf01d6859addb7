// Package smtptest is a real SMTP server for tests (github.com/emersion/go-smtp
// on a loopback port): it records what it accepts and can refuse the next
// messages with a reply the test chooses. Only tests import it.
package smtptest

import (
	"io"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one accepted email.
type Message struct {
	From string
	To   []string
	Data string // the whole message as received: headers and body
}

// Server is a running test SMTP server.
type Server struct {
	Addr string // 127.0.0.1:port
	Host string
	Port int

	srv *smtp.Server
	ln  net.Listener

	mu       sync.Mutex
	messages []Message
	refuse   int
	code     int
	user     string
	password string
	auths    int
	arrived  chan struct{} // closed and replaced on every accepted message
}

// Start serves on a free loopback port until Close.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return serve(ln), nil
}

// StartAt serves on addr (an e2e test restarts its server on the port the
// shop has set).
func StartAt(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return serve(ln), nil
}

func serve(ln net.Listener) *Server {
	s := &Server{ln: ln, Addr: ln.Addr().String(), arrived: make(chan struct{})}
	tcp := ln.Addr().(*net.TCPAddr)
	s.Host, s.Port = tcp.IP.String(), tcp.Port
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	s.srv.Domain = "smtptest.local"
	s.srv.AllowInsecureAuth = true // loopback only
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	go s.srv.Serve(ln)
	return s
}

// Close stops the server. The listener is closed here too: Serve may not
// have taken it yet when a test closes a server it has just started.
func (s *Server) Close() error {
	s.ln.Close()
	return s.srv.Close()
}

// RequireAuth makes the server ask for PLAIN auth with these credentials.
func (s *Server) RequireAuth(user, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.password = user, password
}

// Auths counts successful logins.
func (s *Server) Auths() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.auths
}

// RefuseNext answers the next n messages' data with code (421, 451: try
// later; 550, 554: never).
func (s *Server) RefuseNext(n, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse, s.code = n, code
}

// Messages returns what was accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// WaitFor waits until n messages have been accepted, or timeout; it
// returns what was accepted either way.
func (s *Server) WaitFor(n int, timeout time.Duration) []Message {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		got, arrived := len(s.messages), s.arrived
		s.mu.Unlock()
		if got >= n {
			return s.Messages()
		}
		select {
		case <-arrived:
		case <-deadline:
			return s.Messages()
		}
	}
}

type session struct {
	s      *Server
	authed bool
	from   string
	to     []string
}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, password string) error {
		x.s.mu.Lock()
		defer x.s.mu.Unlock()
		if user != x.s.user || password != x.s.password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		x.authed = true
		x.s.auths++
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.s.mu.Lock()
	needAuth := x.s.user != ""
	x.s.mu.Unlock()
	if needAuth && !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if x.s.refuse > 0 {
		x.s.refuse--
		class := x.s.code / 100
		return &smtp.SMTPError{Code: x.s.code, EnhancedCode: smtp.EnhancedCode{class, 0, 0}, Message: "refused by the test"}
	}
	x.s.messages = append(x.s.messages, Message{From: x.from, To: x.to, Data: string(b)})
	close(x.s.arrived)
	x.s.arrived = make(chan struct{})
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }
