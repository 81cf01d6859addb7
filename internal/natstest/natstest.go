// Package natstest is a real in-process NATS server with JetStream for tests
// (github.com/nats-io/nats-server on a loopback port, file storage in the
// test's temporary folder). It can be stopped and restarted on the same port
// with the same store, as a hub that goes away and comes back. Only tests
// import it.
package natstest

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is a running (or stopped) test NATS server.
type Server struct {
	URL  string // nats://127.0.0.1:port, the same across restarts
	Port int
	Dir  string // JetStream's store folder

	t    testing.TB
	user string
	pass string
	mu   sync.Mutex
	srv  *server.Server
}

// Option changes how a server is started.
type Option func(*Server)

// WithUser makes the server take only clients that sign in as user with
// password (nats://user:password@host:port).
func WithUser(user, password string) Option {
	return func(s *Server) { s.user, s.pass = user, password }
}

// Start runs a JetStream server on a free loopback port until the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &Server{Port: port, URL: fmt.Sprintf("nats://127.0.0.1:%d", port), Dir: t.TempDir(), t: t}
	for _, o := range opts {
		o(s)
	}
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start() error {
	opts := &server.Options{
		Host:      "127.0.0.1",
		Port:      s.Port,
		JetStream: true,
		StoreDir:  s.Dir,
		NoLog:     true,
		NoSigs:    true,
		// The server's name stays the same across restarts, so its
		// JetStream state (streams, messages) is found again in Dir.
		ServerName: "natstest",
		Username:   s.user,
		Password:   s.pass,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return err
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return fmt.Errorf("natstest: the server did not start on port %d", s.Port)
	}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	return nil
}

// Stop shuts the server down (clients see the connection drop). Stopping a
// stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

// Restart starts the server again on the same port and store folder
// (stopping it first if it runs). The port may be busy for a moment after a
// shutdown, so starting is retried briefly.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	var err error
	for range 50 {
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("natstest: restart: %v", err)
}

// Running reports whether the server is up.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv != nil
}
