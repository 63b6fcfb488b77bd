package mfa

import (
	"slices"

	"github.com/foyer-idp/foyer/internal/store"
)

// Kinds of factor RFC 8176's amr values prove.
const (
	knowledge = iota + 1
	possession
	inherence
)

var amrKinds = map[string]int{
	"pwd": knowledge, "pin": knowledge, "kba": knowledge,
	"otp": possession, "hwk": possession, "swk": possession, "sms": possession,
	"tel": possession, "sc": possession, "pop": possession,
	"face": inherence, "fpt": inherence, "iris": inherence, "retina": inherence, "vbm": inherence,
}

func inboundMFA(amr []string) bool {
	kinds := map[int]bool{}
	for _, v := range amr {
		if v == "mfa" {
			return true
		}
		if k, ok := amrKinds[v]; ok {
			kinds[k] = true
		}
	}
	return len(kinds) >= 2
}

// Authentication methods (RFC 8176 amr values) of Foyer's own sign-ins,
// and the context classes of the second factor.
const (
	AMRPassword = "pwd"
	// AMRPasscode is an email one-time passcode ("otp", as ZITADEL names
	// its email codes).
	AMRPasscode = "otp"
	// AMRFederated is an upstream sign-in.
	AMRFederated = "fed"
	AMRTOTP      = "otp"
	AMRMFA       = "mfa"
	// ACRSingleFactor and ACRMultiFactor are the acr values discovery
	// advertises; acr_values=2 asks for multi-factor (step-up).
	ACRSingleFactor = "1"
	ACRMultiFactor  = "2"
)

// HasMFA reports whether a sign-in's amr shows a second factor.
func HasMFA(amr []string) bool { return slices.Contains(amr, AMRMFA) }

// ACR answers the acr of a sign-in with amr.
func ACR(amr []string) string {
	if HasMFA(amr) {
		return ACRMultiFactor
	}
	return ACRSingleFactor
}

// NeedsMFA reports whether a sign-in with amr must still prove a second
// factor for app: the tenant's or the app's policy (Required), or
// acr_values asking for multi-factor.
func NeedsMFA(t store.Tenant, app store.Application, u store.User, amr, acrValues []string) bool {
	required := Required(t, app, u) || slices.Contains(acrValues, ACRMultiFactor)
	return required && !HasMFA(amr)
}

// WithMFA adds the second factor to a first factor's amr.
func WithMFA(amr []string) []string {
	out := slices.Clone(amr)
	for _, m := range []string{AMRTOTP, AMRMFA} {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}
