package mfa

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/mail"
	"github.com/foyer-idp/foyer/internal/store"
)

// The bodies of the Service's methods. Every change of security info
// commits with its audit event and its email in one transaction.

// seal binds a secret to its tenant and user: a sealed value copied to
// another user's row does not open.
func (s *Service) seal(tenantID, userID string, f factorSecret) []byte {
	return s.cfg.Sealer.Seal(f.marshal(), associated(tenantID, userID))
}

func (s *Service) open(tenantID, userID string, sealed []byte) (factorSecret, error) {
	plain, err := s.cfg.Sealer.Open(sealed, associated(tenantID, userID))
	if err != nil {
		return factorSecret{}, fmt.Errorf("open TOTP secret: %w", err)
	}
	return unmarshalFactorSecret(plain)
}

func associated(tenantID, userID string) []byte {
	return []byte("mfa-secret\x00" + tenantID + "\x00" + userID)
}

func (s *Service) confirmEnrolment(ctx context.Context, t store.Tenant, u store.User, code string) ([]string, error) {
	now := s.cfg.Now()
	f, err := s.cfg.Store.GetTOTPFactor(ctx, t.ID, u.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && len(f.PendingSealedSecret) == 0) {
		return nil, ErrNotEnrolled
	}
	if err != nil {
		return nil, err
	}
	if f.Active && f.LockedUntil != nil && now.Before(*f.LockedUntil) {
		return nil, &LockedError{Until: *f.LockedUntil}
	}
	// What is not Digits digits is refused before the secret is opened.
	if code = normalise(code); !isTOTPCode(code) {
		return nil, ErrWrongCode
	}
	pending, err := s.open(t.ID, u.ID, f.PendingSealedSecret)
	if err != nil {
		return nil, err
	}
	steps, err := pending.matchSteps(code, now)
	if err != nil {
		return nil, err
	}
	if len(steps) == 0 {
		return nil, ErrWrongCode
	}
	codes, hashes, err := s.newRecoveryCodes(t.ID, u.ID)
	if err != nil {
		return nil, err
	}
	change := "An authenticator app was registered for your account, with new recovery codes."
	if f.Active {
		change = "The authenticator app of your account was replaced, with new recovery codes."
	}
	err = s.cfg.Store.InTx(ctx, func(tx store.Store) error {
		if err := tx.ActivateTOTPFactor(ctx, t.ID, u.ID, steps[len(steps)-1], now); err != nil {
			return err
		}
		// Another enrolment may have replaced the pending secret since it
		// was read: activate only the secret the code was checked with.
		got, err := tx.GetTOTPFactor(ctx, t.ID, u.ID)
		if err != nil {
			return err
		}
		if !bytes.Equal(got.SealedSecret, f.PendingSealedSecret) {
			return fmt.Errorf("%w: the enrolment was restarted meanwhile", ErrWrongCode)
		}
		if err := tx.ReplaceRecoveryCodes(ctx, t.ID, u.ID, hashes, now); err != nil {
			return err
		}
		return s.record(ctx, tx, now, t, u, audit.ActivityRegisterSecurityInfo, change)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

func (s *Service) verify(ctx context.Context, t store.Tenant, userID, code string) (string, error) {
	now := s.cfg.Now()
	f, err := s.cfg.Store.GetTOTPFactor(ctx, t.ID, userID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !f.Active) {
		return "", ErrNotEnrolled
	}
	if err != nil {
		return "", err
	}
	if f.LockedUntil != nil && now.Before(*f.LockedUntil) {
		return "", &LockedError{Until: *f.LockedUntil}
	}
	if wait := delay(f, now); wait > 0 {
		return "", &WaitError{Wait: wait}
	}

	code = normalise(code)
	switch {
	case isTOTPCode(code):
		active, err := s.open(t.ID, userID, f.SealedSecret)
		if err != nil {
			return "", err
		}
		steps, err := active.matchSteps(code, now)
		if err != nil {
			return "", err
		}
		if len(steps) == 0 {
			break
		}
		// Of several matching steps (a 10⁻⁶ coincidence), the oldest
		// unused one.
		step := steps[len(steps)-1]
		for _, st := range steps {
			if st > f.LastStep {
				step = st
				break
			}
		}
		err = s.cfg.Store.UseTOTPStep(ctx, t.ID, userID, step, now)
		switch {
		case err == nil:
			return MethodTOTP, nil
		case errors.Is(err, store.ErrAlreadyUsed):
			return "", ErrReplayed
		default:
			return "", s.refused(ctx, t.ID, userID, err)
		}
	case isRecoveryCode(code):
		err := s.cfg.Store.UseRecoveryCode(ctx, t.ID, userID, s.recoveryHash(t.ID, userID, code), now)
		switch {
		case err == nil:
			// A success clears the count, as a TOTP code's does.
			if err := s.cfg.Store.UnlockMFA(ctx, t.ID, userID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return "", err
			}
			return MethodRecovery, nil
		case errors.Is(err, store.ErrNotFound):
		default:
			return "", s.refused(ctx, t.ID, userID, err)
		}
	}
	return "", s.fail(ctx, t.ID, userID, now)
}

// refused explains a store refusal other than a replay or a miss: a lock
// set by a concurrent failure (ErrConflict), or a factor removed
// meanwhile.
func (s *Service) refused(ctx context.Context, tenantID, userID string, err error) error {
	switch {
	case errors.Is(err, store.ErrConflict):
		f, gerr := s.cfg.Store.GetTOTPFactor(ctx, tenantID, userID)
		if gerr == nil && f.LockedUntil != nil {
			return &LockedError{Until: *f.LockedUntil}
		}
		return ErrLocked
	case errors.Is(err, store.ErrNotFound):
		return ErrNotEnrolled
	}
	return err
}

// fail counts a miss; the one reaching LockAt locks the factor.
func (s *Service) fail(ctx context.Context, tenantID, userID string, now time.Time) error {
	until := now.Add(LockFor)
	n, err := s.cfg.Store.RecordMFAFailure(ctx, tenantID, userID, now, LockAt, until)
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotEnrolled
	}
	if err != nil {
		return err
	}
	if n >= LockAt {
		return fmt.Errorf("%w: %w", ErrWrongCode, &LockedError{Until: until})
	}
	return ErrWrongCode
}

// delay answers how long f must wait before the next attempt at now: none
// for the first FreeFailures failures, then 1 s, 2 s, 4 s … after each
// further one, counted from the last failure.
func delay(f store.TOTPFactor, now time.Time) time.Duration {
	if f.Failures <= FreeFailures || f.LastFailureAt == nil {
		return 0
	}
	wait := LockFor
	if n := f.Failures - FreeFailures - 1; n < 20 {
		wait = min(time.Second<<n, LockFor)
	}
	return max(f.LastFailureAt.Add(wait).Sub(now), 0)
}

func (s *Service) regenerate(ctx context.Context, t store.Tenant, u store.User) ([]string, error) {
	now := s.cfg.Now()
	f, err := s.cfg.Store.GetTOTPFactor(ctx, t.ID, u.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !f.Active) {
		return nil, ErrNotEnrolled
	}
	if err != nil {
		return nil, err
	}
	codes, hashes, err := s.newRecoveryCodes(t.ID, u.ID)
	if err != nil {
		return nil, err
	}
	err = s.cfg.Store.InTx(ctx, func(tx store.Store) error {
		if err := tx.ReplaceRecoveryCodes(ctx, t.ID, u.ID, hashes, now); err != nil {
			return err
		}
		return s.record(ctx, tx, now, t, u, audit.ActivityRegenerateRecoveryCodes,
			"New recovery codes were made for your account; the earlier ones no longer work.")
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

func (s *Service) reset(ctx context.Context, t store.Tenant, userID string) error {
	now := s.cfg.Now()
	u, err := s.cfg.Store.GetUser(ctx, t.ID, userID)
	if err != nil {
		return err
	}
	return s.cfg.Store.InTx(ctx, func(tx store.Store) error {
		had := true
		if _, err := tx.GetTOTPFactor(ctx, t.ID, userID); errors.Is(err, store.ErrNotFound) {
			had = false
		} else if err != nil {
			return err
		}
		if err := tx.DeleteMFA(ctx, t.ID, userID); err != nil {
			return err
		}
		change := ""
		if had {
			change = "An administrator removed the authenticator app and recovery codes of your account. " +
				"You will set up an authenticator app again at your next sign-in."
		}
		return s.record(ctx, tx, now, t, u, audit.ActivityAdminDeleteSecurityInfo, change)
	})
}

func (s *Service) unlock(ctx context.Context, t store.Tenant, userID string) error {
	now := s.cfg.Now()
	u, err := s.cfg.Store.GetUser(ctx, t.ID, userID)
	if err != nil {
		return err
	}
	return s.cfg.Store.InTx(ctx, func(tx store.Store) error {
		if err := tx.UnlockMFA(ctx, t.ID, userID); errors.Is(err, store.ErrNotFound) {
			return ErrNotEnrolled
		} else if err != nil {
			return err
		}
		return s.record(ctx, tx, now, t, u, audit.ActivityUnlockSecurityInfo, "")
	})
}

// record appends the audit event of a change to u's security info and,
// when change is not empty and u has a mail address, queues the email
// saying so — both in tx.
func (s *Service) record(ctx context.Context, tx store.Store, now time.Time, t store.Tenant, u store.User, activity, change string) error {
	err := audit.Record(ctx, tx, now, audit.Entry{TenantID: t.ID, Category: audit.CategoryUser, Activity: activity,
		Target: audit.Target{Type: audit.TargetUser, ID: u.ID, Name: u.UserPrincipalName}})
	if err != nil {
		return err
	}
	if change == "" || u.Mail == "" {
		return nil
	}
	msg, err := mail.RenderSecurityInfo(mail.SecurityInfoData{To: u.Mail, Change: change,
		Brand: mail.Branding{Name: t.DisplayName, LogoURL: t.Branding.LogoURL,
			AccentColor: t.Branding.AccentColor, SenderName: t.Branding.SenderName}})
	if err != nil {
		return err
	}
	if _, err := s.cfg.Mailer.Enqueue(ctx, tx, t.ID, MailKindSecurityInfo, msg); err != nil {
		return err
	}
	return nil
}
