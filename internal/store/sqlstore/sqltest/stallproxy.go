package sqltest

import (
	"net"
	"net/url"
	"sync"
	"testing"
)

// StallProxy is a TCP proxy in front of a database server that a test can
// freeze: while stalled it forwards nothing either way, as a server stopped
// with SIGSTOP or cut off by a partition looks to its clients, and resumes
// where it left off.
type StallProxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	stalled bool
	resumed *sync.Cond
}

// NewStallProxy listens on loopback and forwards every connection to the
// server of dsn (a postgres:// URL) until the test ends. It answers the
// proxy and dsn with the proxy in the server's place.
func NewStallProxy(t testing.TB, dsn string) (*StallProxy, string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		t.Fatalf("stall proxy: %q is not a postgres:// URL: %v", dsn, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("stall proxy: %v", err)
	}
	p := &StallProxy{ln: ln, target: u.Host}
	p.resumed = sync.NewCond(&p.mu)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
	t.Cleanup(func() {
		p.Resume()
		_ = ln.Close()
	})
	u.Host = ln.Addr().String()
	return p, u.String()
}

// Stall stops forwarding; Resume starts again.
func (p *StallProxy) Stall() { p.set(true) }

// Resume forwards again what waited and what comes.
func (p *StallProxy) Resume() { p.set(false) }

func (p *StallProxy) set(stalled bool) {
	p.mu.Lock()
	p.stalled = stalled
	p.mu.Unlock()
	p.resumed.Broadcast()
}

func (p *StallProxy) wait() {
	p.mu.Lock()
	for p.stalled {
		p.resumed.Wait()
	}
	p.mu.Unlock()
}

func (p *StallProxy) forward(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	done := make(chan struct{}, 2)
	pump := func(dst, src net.Conn) {
		defer func() { done <- struct{}{} }()
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				p.wait()
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return // io.EOF or a closed connection: done either way
			}
		}
	}
	go pump(server, client)
	go pump(client, server)
	<-done
}
