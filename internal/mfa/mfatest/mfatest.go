// Package mfatest computes authenticator codes the way an authenticator
// app does, for tests that drive the enrolment and sign-in pages. It is
// for tests only.
package mfatest

import (
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Code answers the 6-digit SHA1 code of the base32 key for the 30-second
// step holding at.
func Code(t testing.TB, key string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(key, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatalf("mfatest: %v", err)
	}
	return code
}
