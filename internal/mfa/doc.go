// Package mfa is Foyer's second factor: TOTP authenticators
// (pquerna/otp) and recovery codes, their enrolment, verification with
// replay protection, failure delays and locks shared by every node, and
// the policy deciding who must use them. The pages that ask for codes
// live in idp/signin.
package mfa
