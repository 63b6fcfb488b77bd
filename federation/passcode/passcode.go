package passcode

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/foyer-idp/foyer/internal/mail"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// Limits. A code has Digits digits (26.6 bits); with MaxAttempts tries per
// code and MaxSends codes per subject and SendWindow, a guesser gets 25
// tries an hour at odds of one in 10^8 each.
const (
	Digits         = 8
	MaxLifetime    = 10 * time.Minute
	MaxAttempts    = 5
	MaxSends       = 5
	SendWindow     = time.Hour
	MailKind       = "passcode"
	sendCounterKey = "passcode-sends:"
)

// Errors Verify and Send answer.
var (
	// ErrWrongCode: the code did not match; the try was counted (a value
	// that is not Digits digits is refused without counting).
	ErrWrongCode = errors.New("passcode: wrong code")
	// ErrNoCode: there is no live code to check (never sent, used, expired
	// or voided by too many wrong tries): the person must ask for a new one.
	ErrNoCode = errors.New("passcode: no live code")
	// ErrTooManySends: too many codes were sent to this subject lately.
	ErrTooManySends = errors.New("passcode: too many codes sent")
)

// Store is what the service needs: passcodes, a send counter and a
// transaction to queue the email in.
type Store interface {
	InTx(ctx context.Context, fn func(tx store.Store) error) error
	ConsumePasscode(ctx context.Context, tenantID, subject, hash, binding string, maxAttempts int, now time.Time) (store.Passcode, error)
}

// Mailer queues a rendered email in the caller's transaction; *mail.Outbox
// is one.
type Mailer interface {
	Enqueue(ctx context.Context, tx mail.Enqueuer, tenantID, kind string, m mail.Message) (string, error)
}

// Config is what a Service needs.
type Config struct {
	Store  Store
	Mailer Mailer
	// Hasher keys the stored hash of codes.
	Hasher *secret.Hasher
	// Lifetime of a code; MaxLifetime when zero, never more.
	Lifetime time.Duration
	Now      func() time.Time
}

// Service sends and checks codes.
type Service struct {
	store    Store
	mailer   Mailer
	hasher   *secret.Hasher
	lifetime time.Duration
	now      func() time.Time
}

// New checks cfg, reporting every problem at once.
func New(cfg Config) (*Service, error) {
	var errs []error
	if cfg.Store == nil || cfg.Mailer == nil || cfg.Hasher == nil {
		errs = append(errs, errors.New("passcode: Store, Mailer and Hasher are required"))
	}
	if cfg.Lifetime < 0 || cfg.Lifetime > MaxLifetime {
		errs = append(errs, fmt.Errorf("passcode: Lifetime must be at most %s", MaxLifetime))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Lifetime == 0 {
		cfg.Lifetime = MaxLifetime
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{store: cfg.Store, mailer: cfg.Mailer, hasher: cfg.Hasher, lifetime: cfg.Lifetime, now: cfg.Now}, nil
}

// Request is one code to send.
type Request struct {
	Tenant store.Tenant
	// Subject names what the code proves, e.g. "invitation:<id>" or
	// "user:<id>": a new code for a subject voids the one before.
	Subject string
	// Email is where the code goes: always the address on record, never
	// one the browser typed.
	Email string
	// Binding is the hash of the browser's cookie; the code works only
	// there.
	Binding  string
	Language string
}

// Send makes a new code for r.Subject, replacing any earlier one, and
// queues its email, all in one transaction: a code is never live without
// its message, nor a message sent for a code that was not stored.
func (s *Service) Send(ctx context.Context, r Request) error {
	if r.Subject == "" || r.Email == "" || r.Binding == "" {
		return errors.New("passcode: send needs a subject, an address and a browser binding")
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	code, err := newCode()
	if err != nil {
		return err
	}
	msg, err := mail.RenderPasscode(mail.PasscodeData{Language: r.Language, To: r.Email, Code: code, Lifetime: s.lifetime,
		Brand: mail.Branding{Name: r.Tenant.DisplayName, LogoURL: r.Tenant.Branding.LogoURL,
			AccentColor: r.Tenant.Branding.AccentColor, SenderName: r.Tenant.Branding.SenderName}})
	if err != nil {
		return err
	}
	err = s.store.InTx(ctx, func(tx store.Store) error {
		sent, err := tx.IncrementCounter(ctx, r.Tenant.ID, sendCounterKey+r.Subject, now.Add(SendWindow), now)
		if err != nil {
			return err
		}
		if sent > MaxSends {
			return ErrTooManySends
		}
		p := store.Passcode{TenantID: r.Tenant.ID, Subject: r.Subject, Hash: s.hash(r.Subject, code),
			BrowserBinding: r.Binding, CreatedAt: now, ExpiresAt: now.Add(s.lifetime)}
		if err := tx.IssuePasscode(ctx, p); err != nil {
			return err
		}
		_, err = s.mailer.Enqueue(ctx, tx, r.Tenant.ID, MailKind, msg)
		return err
	})
	if k, ok := s.mailer.(kicker); ok && err == nil {
		k.Kick() // a person is waiting for this one
	}
	return err
}

// kicker is a Mailer that can send what was queued now; *mail.Outbox is
// one.
type kicker interface{ Kick() }

// Verify checks a typed code for subject from the browser with binding.
// It answers nil once per code; ErrWrongCode for a miss (counted, and the
// code voided at the limit) and ErrNoCode when there is nothing to check.
func (s *Service) Verify(ctx context.Context, tenantID, subject, code, binding string) error {
	code = normalize(code)
	if !wellFormed(code) {
		// It cannot be the code: no hash, no lookup, no try spent.
		return ErrWrongCode
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	_, err := s.store.ConsumePasscode(ctx, tenantID, subject, s.hash(subject, code), binding, MaxAttempts, now)
	switch {
	case errors.Is(err, store.ErrMismatch):
		return ErrWrongCode
	case errors.Is(err, store.ErrNotFound):
		return ErrNoCode
	}
	return err
}

// hash binds the code to its subject, so a code cannot be replayed for
// another subject even if two were ever equal.
func (s *Service) hash(subject, code string) string {
	return s.hasher.Hash("passcode\x00" + subject + "\x00" + code)
}

// newCode answers Digits uniformly random decimal digits.
func newCode() (string, error) {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(Digits), nil)
	n, err := rand.Int(rand.Reader, limit)
	if err != nil {
		return "", fmt.Errorf("passcode: random: %w", err)
	}
	return fmt.Sprintf("%0*d", Digits, n), nil
}

// wellFormed reports whether code (normalized) is Digits ASCII digits.
func wellFormed(code string) bool {
	if len(code) != Digits {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// normalize drops the spaces and dashes people type into codes.
func normalize(code string) string {
	out := make([]byte, 0, len(code))
	for i := 0; i < len(code); i++ {
		if c := code[i]; c != ' ' && c != '-' && c != '\t' {
			out = append(out, c)
		}
	}
	return string(out)
}
