// Package mailtest is a real SMTP server on loopback for tests: it keeps
// what it receives and reads it back as a recipient's mail program would.
// It is for tests only.
package mailtest

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Received is one delivered message: envelope and raw data.
type Received struct {
	From string
	To   []string
	Data []byte
}

// Server is a running SMTP server.
type Server struct {
	mu       sync.Mutex
	received []Received
	srv      *smtp.Server
}

// FreeAddr answers a loopback address nothing listens on: a server that
// is down until StartSMTP brings it up there.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("mailtest: close: %v", err)
	}
	return addr
}

// StartSMTP serves SMTP on addr until the test ends, offering STARTTLS
// when tlsConfig is set. It accepts any sender and recipient, without
// authentication.
func StartSMTP(t testing.TB, addr string, tlsConfig *tls.Config) *Server {
	t.Helper()
	s := &Server{}
	s.srv = smtp.NewServer(s)
	s.srv.TLSConfig = tlsConfig
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("mailtest: listen on %s: %v", addr, err)
	}
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

// Messages answers what was delivered so far, oldest first.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// NewSession is go-smtp's backend hook.
func (s *Server) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{srv: s}, nil }

type session struct {
	srv *Server
	msg Received
}

func (s *session) Reset()        { s.msg = Received{} }
func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.msg.From = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.Data = data
	s.srv.mu.Lock()
	s.srv.received = append(s.srv.received, s.msg)
	s.srv.mu.Unlock()
	return nil
}

// Message is a delivered message as a mail program shows it.
type Message struct {
	Subject  string
	FromName string
	// MediaType is the top-level type, e.g. multipart/alternative.
	MediaType string
	// Text and HTML are the decoded parts, with LF line ends.
	Text string
	HTML string
}

// Parse reads a delivered message: headers decoded, multipart parts
// decoded from their transfer encoding.
func (r Received) Parse() (Message, error) {
	parsed, err := netmail.ReadMessage(bytes.NewReader(r.Data))
	if err != nil {
		return Message{}, err
	}
	var m Message
	if m.Subject, err = new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject")); err != nil {
		return Message{}, err
	}
	from, err := netmail.ParseAddress(parsed.Header.Get("From"))
	if err != nil {
		return Message{}, err
	}
	m.FromName = from.Name
	mediaType, params, err := mime.ParseMediaType(parsed.Header.Get("Content-Type"))
	if err != nil {
		return Message{}, err
	}
	m.MediaType = mediaType
	if !strings.HasPrefix(mediaType, "multipart/") {
		return Message{}, errors.New("mailtest: not a multipart message")
	}
	mr := multipart.NewReader(parsed.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return m, nil
		}
		if err != nil {
			return Message{}, err
		}
		ct, _, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if err != nil {
			return Message{}, err
		}
		body, err := io.ReadAll(p) // multipart decodes quoted-printable
		if err != nil {
			return Message{}, err
		}
		text := strings.ReplaceAll(string(body), "\r\n", "\n")
		switch ct {
		case "text/plain":
			m.Text = text
		case "text/html":
			m.HTML = text
		}
	}
}
