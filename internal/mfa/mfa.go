package mfa

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/foyer-idp/foyer/internal/mail"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// The signatures in this file are the contract the sign-in pages, the
// admin API and the CLI build on.

// Limits.
const (
	Digits        = 6
	DefaultPeriod = 30 * time.Second
	// Skew is how many time steps either side of now a code may be from.
	Skew          = 1
	SecretBytes   = 20 // 160 bits
	RecoveryCodes = 10
	// FreeFailures fail without delay; each one after doubles the wait
	// before the next attempt (1 s, 2 s, 4 s …).
	FreeFailures = 3
	// LockAt failures lock the factor for LockFor, or until an admin
	// clears it.
	LockAt  = 10
	LockFor = 15 * time.Minute
)

// Methods a successful Verify answers.
const (
	MethodTOTP     = "otp"
	MethodRecovery = "recovery"
)

// Errors.
var (
	ErrNotEnrolled = errors.New("mfa: no authenticator registered")
	ErrWrongCode   = errors.New("mfa: wrong code")
	// ErrReplayed: the code's time step was used already (here or on
	// another node).
	ErrReplayed = errors.New("mfa: code already used")
	// ErrLocked: too many failures; LockedError says until when.
	ErrLocked = errors.New("mfa: locked")
	// ErrTooSoon: after a few failures each attempt must wait; WaitError
	// says how long.
	ErrTooSoon = errors.New("mfa: too soon after a failed attempt")
)

// LockedError is ErrLocked with the time the lock ends (an admin's Unlock
// ends it sooner). errors.Is(err, ErrLocked) holds for it.
type LockedError struct {
	Until time.Time
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%v until %s", ErrLocked, e.Until.UTC().Format(time.RFC3339))
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// WaitError is ErrTooSoon with how long to wait before the next attempt.
// errors.Is(err, ErrTooSoon) holds for it.
type WaitError struct {
	Wait time.Duration
}

func (e *WaitError) Error() string {
	return fmt.Sprintf("%v: wait %s", ErrTooSoon, e.Wait.Round(time.Second))
}

func (e *WaitError) Unwrap() error { return ErrTooSoon }

// MailKindSecurityInfo is the outbox kind of the "your security info
// changed" email.
const MailKindSecurityInfo = "securityinfo"

// Enrolment is a new authenticator secret, shown once.
type Enrolment struct {
	// Secret is the base32 key for manual entry.
	Secret string
	// URI is the otpauth:// URI (issuer = tenant name, account = the
	// user's email).
	URI string
	// QRCode is a PNG of URI.
	QRCode []byte
}

// Status is what a user has registered.
type Status struct {
	Registered    bool
	RecoveryCodes int
	LockedUntil   *time.Time
}

// BeginEnrolment makes a new 160-bit secret for u, stored sealed as the
// pending secret (an active one stays until this one is confirmed).
func (s *Service) BeginEnrolment(ctx context.Context, t store.Tenant, u store.User) (Enrolment, error) {
	if u.TenantID != t.ID {
		return Enrolment{}, fmt.Errorf("begin enrolment: user %q is not in tenant %q", u.ID, t.ID)
	}
	period, err := tenantPeriod(t)
	if err != nil {
		return Enrolment{}, fmt.Errorf("begin enrolment: %w", err)
	}
	k, err := newKey(t, u, period)
	if err != nil {
		return Enrolment{}, fmt.Errorf("begin enrolment: %w", err)
	}
	qr, err := k.qrCode()
	if err != nil {
		return Enrolment{}, fmt.Errorf("begin enrolment: %w", err)
	}
	f := store.TOTPFactor{TenantID: t.ID, UserID: u.ID, PendingSealedSecret: s.seal(t.ID, u.ID, k.factor),
		CreatedAt: s.cfg.Now().UTC()}
	if err := s.cfg.Store.SaveTOTPFactor(ctx, f); err != nil {
		return Enrolment{}, fmt.Errorf("begin enrolment: %w", err)
	}
	return Enrolment{Secret: k.otp.Secret(), URI: k.otp.URL(), QRCode: qr}, nil
}

// Enrolment answers the user's pending enrolment, making one when there
// is none: a page shown again (a wrong code, a reload) shows the secret
// the person may already have scanned.
func (s *Service) Enrolment(ctx context.Context, t store.Tenant, u store.User) (Enrolment, error) {
	f, err := s.cfg.Store.GetTOTPFactor(ctx, t.ID, u.ID)
	switch {
	case err == nil && len(f.PendingSealedSecret) > 0:
		pending, err := s.open(t.ID, u.ID, f.PendingSealedSecret)
		if err != nil {
			return Enrolment{}, fmt.Errorf("enrolment: %w", err)
		}
		k, err := keyFor(t, u, pending)
		if err != nil {
			return Enrolment{}, fmt.Errorf("enrolment: %w", err)
		}
		qr, err := k.qrCode()
		if err != nil {
			return Enrolment{}, fmt.Errorf("enrolment: %w", err)
		}
		return Enrolment{Secret: k.otp.Secret(), URI: k.otp.URL(), QRCode: qr}, nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return Enrolment{}, fmt.Errorf("enrolment: %w", err)
	}
	return s.BeginEnrolment(ctx, t, u)
}

// ConfirmEnrolment activates the pending secret when code is right for
// it, and answers ten new recovery codes (shown once; older ones void).
// Audited; the user is emailed that their security info changed.
//
// ErrNotEnrolled when no enrolment was begun; ErrWrongCode when code is
// not the pending secret's (not counted as a failure: it proves nothing
// about the active factor); a LockedError while an active factor is
// locked, so enrolling again is no way around a lock.
func (s *Service) ConfirmEnrolment(ctx context.Context, t store.Tenant, u store.User, code string) ([]string, error) {
	codes, err := s.confirmEnrolment(ctx, t, u, code)
	if err != nil {
		return nil, fmt.Errorf("confirm enrolment: %w", err)
	}
	return codes, nil
}

// Verify checks a TOTP code (the current step ±Skew, each step once) or a
// recovery code (once), counting failures per account with growing delays
// and a lock. It answers the method used.
//
// Errors: ErrNotEnrolled without an active factor; a *LockedError
// (ErrLocked) while locked; a *WaitError (ErrTooSoon) inside the delay
// after more than FreeFailures failures; ErrReplayed for a TOTP code of
// a step already used; ErrWrongCode for any other miss, which counts (the
// failure that reaches LockAt answers ErrWrongCode and a *LockedError).
func (s *Service) Verify(ctx context.Context, t store.Tenant, userID, code string) (string, error) {
	method, err := s.verify(ctx, t, userID, code)
	if err != nil {
		return "", fmt.Errorf("verify second factor: %w", err)
	}
	return method, nil
}

// Status answers what the user has registered.
func (s *Service) Status(ctx context.Context, tenantID, userID string) (Status, error) {
	f, err := s.cfg.Store.GetTOTPFactor(ctx, tenantID, userID)
	if errors.Is(err, store.ErrNotFound) {
		return Status{}, nil
	}
	if err != nil {
		return Status{}, fmt.Errorf("mfa status: %w", err)
	}
	n, err := s.cfg.Store.CountRecoveryCodes(ctx, tenantID, userID)
	if err != nil {
		return Status{}, fmt.Errorf("mfa status: %w", err)
	}
	st := Status{Registered: f.Active, RecoveryCodes: n}
	if f.LockedUntil != nil && f.LockedUntil.After(s.cfg.Now()) {
		st.LockedUntil = f.LockedUntil
	}
	return st, nil
}

// RegenerateRecoveryCodes voids the user's recovery codes and answers ten
// new ones. Audited; the user is emailed. ErrNotEnrolled without an
// active factor.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, t store.Tenant, u store.User) ([]string, error) {
	codes, err := s.regenerate(ctx, t, u)
	if err != nil {
		return nil, fmt.Errorf("regenerate recovery codes: %w", err)
	}
	return codes, nil
}

// Reset removes the user's factor and recovery codes (an admin's act):
// they enrol again at their next sign-in. Audited; the user is emailed
// when something was removed. store.ErrNotFound for an unknown user.
func (s *Service) Reset(ctx context.Context, t store.Tenant, userID string) error {
	if err := s.reset(ctx, t, userID); err != nil {
		return fmt.Errorf("reset security info: %w", err)
	}
	return nil
}

// Unlock clears failures and a lock. Audited. store.ErrNotFound for an
// unknown user, ErrNotEnrolled when they have no factor.
func (s *Service) Unlock(ctx context.Context, t store.Tenant, userID string) error {
	if err := s.unlock(ctx, t, userID); err != nil {
		return fmt.Errorf("unlock second factor: %w", err)
	}
	return nil
}

// Required reports whether u must prove a second factor to use app: the
// tenant's rule (nobody, guests, everyone) or the app's own. An empty
// rule means guests; a rule Foyer does not know means everyone (fail
// closed).
func Required(t store.Tenant, app store.Application, u store.User) bool {
	if app.RequiresMFA {
		return true
	}
	switch t.MFA.Rule() {
	case store.MFARequiredNobody:
		return false
	case store.MFARequiredGuests:
		return u.UserType == store.UserTypeGuest
	default:
		return true
	}
}

// InboundMFA reports whether an upstream's amr shows multi-factor
// (mfa, otp, hwk, swk, sms, fido …) — to be trusted only where the
// provider's MFATrusted says so.
//
// The rule, on RFC 8176's values: "mfa" says so outright; otherwise the
// amr must name methods of two different kinds among something known
// (pwd, pin, kba), something held (otp, hwk, swk, sms, tel, sc, pop) and
// something inherent (face, fpt, iris, retina, vbm). One possession
// method alone is one factor: Foyer's own email passcode sign-in says
// ["otp"], and a password plus nothing says ["pwd"]. Values are compared
// as sent (RFC 8176 values are lower case); unknown ones (mca, rba, geo,
// wia, user …) count for nothing.
func InboundMFA(amr []string) bool {
	return inboundMFA(amr)
}

// Config is what a Service needs.
type Config struct {
	// Store holds factors and codes; InTx groups a change with its audit
	// event and email.
	Store store.Store
	// Sealer seals TOTP secrets (the master key's "mfa-secrets" purpose).
	Sealer *secret.Sealer
	// Hasher keys the stored hashes of recovery codes.
	Hasher *secret.Hasher
	// Mailer queues the "your security info changed" email in the
	// change's transaction; *mail.Outbox is one.
	Mailer Mailer
	// Now is the server clock every check uses; time.Now when nil.
	Now func() time.Time
}

// Mailer queues a rendered email in the caller's transaction.
type Mailer interface {
	Enqueue(ctx context.Context, tx mail.Enqueuer, tenantID, kind string, m mail.Message) (string, error)
}

// Service enrols and verifies second factors.
type Service struct {
	cfg Config
}

// New checks cfg, reporting every problem at once.
func New(cfg Config) (*Service, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("mfa: no store"))
	}
	if cfg.Sealer == nil {
		errs = append(errs, errors.New("mfa: no sealer for TOTP secrets"))
	}
	if cfg.Hasher == nil {
		errs = append(errs, errors.New("mfa: no hasher for recovery codes"))
	}
	if cfg.Mailer == nil {
		errs = append(errs, errors.New("mfa: no mailer"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg}, nil
}
