package mfa

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"image/png"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/foyer-idp/foyer/internal/store"
)

// TOTP arithmetic lives here, on pquerna/otp: the only file that imports
// it. A code is checked step by step so the caller knows which step
// matched and can record it as used.

// qrSize is the width and height of the enrolment QR code, in pixels.
const qrSize = 240

// maxPeriod bounds a tenant's time step (an hour would make codes live
// for three).
const maxPeriod = 5 * time.Minute

// factorSecret is what is sealed at rest: the raw secret and the period it
// was enrolled with. The period travels with the secret so that changing
// the tenant's period affects only later enrolments: an authenticator app
// keeps the period of the QR code it scanned.
type factorSecret struct {
	raw    []byte
	period time.Duration
}

// sealFormat prefixes the sealed plaintext: version 1 is
// 1 || uint16 period in seconds || secret.
const sealFormat = 1

func (f factorSecret) marshal() []byte {
	b := make([]byte, 3, 3+len(f.raw))
	b[0] = sealFormat
	binary.BigEndian.PutUint16(b[1:], uint16(f.period/time.Second))
	return append(b, f.raw...)
}

func unmarshalFactorSecret(b []byte) (factorSecret, error) {
	if len(b) != 3+SecretBytes || b[0] != sealFormat {
		return factorSecret{}, errors.New("unknown sealed secret format")
	}
	period := time.Duration(binary.BigEndian.Uint16(b[1:3])) * time.Second
	if period <= 0 || period > maxPeriod {
		return factorSecret{}, errors.New("sealed secret has no valid period")
	}
	return factorSecret{raw: bytes.Clone(b[3:]), period: period}, nil
}

// base32 is the key as authenticator apps and pquerna/otp take it.
func (f factorSecret) base32() string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(f.raw)
}

// tenantPeriod answers the tenant's time step.
func tenantPeriod(t store.Tenant) (time.Duration, error) {
	p := time.Duration(t.MFA.PeriodSeconds) * time.Second
	switch {
	case p == 0:
		return DefaultPeriod, nil
	case p < 0 || p > maxPeriod:
		return 0, fmt.Errorf("tenant's TOTP period %d s is out of range", t.MFA.PeriodSeconds)
	}
	return p, nil
}

// newKey is a fresh secret from crypto/rand and its otpauth key: issuer
// the tenant's name, account the user's mail (UPN without one).
type key struct {
	factor factorSecret
	otp    *otp.Key
}

func newKey(t store.Tenant, u store.User, period time.Duration) (key, error) {
	raw := make([]byte, SecretBytes)
	if _, err := rand.Read(raw); err != nil {
		return key{}, fmt.Errorf("new TOTP secret: %w", err)
	}
	return keyFor(t, u, factorSecret{raw: raw, period: period})
}

// keyFor answers the key of a secret: what an authenticator app is given.
func keyFor(t store.Tenant, u store.User, f factorSecret) (key, error) {
	issuer := t.DisplayName
	if issuer == "" {
		issuer = t.Slug
	}
	account := u.Mail
	if account == "" {
		account = u.UserPrincipalName
	}
	k, err := totp.Generate(totp.GenerateOpts{
		Issuer:      issuer,
		AccountName: account,
		Period:      uint(f.period / time.Second),
		Secret:      f.raw,
		Digits:      otp.DigitsSix,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return key{}, fmt.Errorf("new TOTP key: %w", err)
	}
	return key{factor: f, otp: k}, nil
}

func (k key) qrCode() ([]byte, error) {
	img, err := k.otp.Image(qrSize, qrSize)
	if err != nil {
		return nil, fmt.Errorf("QR code: %w", err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("QR code: %w", err)
	}
	return b.Bytes(), nil
}

// stepAt is the time step of t.
func stepAt(t time.Time, period time.Duration) int64 {
	return t.Unix() / int64(period/time.Second)
}

// codeAt is the code of one time step.
func (f factorSecret) codeAt(step int64) (string, error) {
	sec := int64(f.period / time.Second)
	return totp.GenerateCodeCustom(f.base32(), time.Unix(step*sec, 0), totp.ValidateOpts{
		Period:    uint(sec),
		Digits:    otp.DigitsSix,
		Algorithm: otp.AlgorithmSHA1,
	})
}

// matchSteps answers the steps in [now-Skew, now+Skew] whose code is code,
// oldest first. Every step is computed and compared in constant time, so
// the time taken says nothing about which step matched.
func (f factorSecret) matchSteps(code string, now time.Time) ([]int64, error) {
	cur := stepAt(now, f.period)
	var matched []int64
	for step := cur - Skew; step <= cur+Skew; step++ {
		want, err := f.codeAt(step)
		if err != nil {
			return nil, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			matched = append(matched, step)
		}
	}
	return matched, nil
}

// isTOTPCode reports whether code (normalised) has a TOTP code's shape.
func isTOTPCode(code string) bool {
	if len(code) != Digits {
		return false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
