package mfa_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/store"
)

func TestNeedsMFA(t *testing.T) {
	t.Parallel()
	guest := store.User{UserType: store.UserTypeGuest}
	member := store.User{UserType: store.UserTypeMember}
	unset := store.Tenant{}
	nobody := store.Tenant{MFA: store.MFAPolicy{Required: store.MFARequiredNobody}}
	for _, tc := range []struct {
		name      string
		t         store.Tenant
		app       store.Application
		u         store.User
		amr, acr  []string
		needsMFA  bool
		acrOfAMR  string
		amrWithIt []string
	}{
		{"UnsetPolicyMeansGuests", unset, store.Application{}, guest, []string{mfa.AMRPasscode}, nil, true, "1", []string{"otp", "mfa"}},
		{"MemberUnderGuestsRule", unset, store.Application{}, member, []string{mfa.AMRPassword}, nil, false, "1", []string{"pwd", "otp", "mfa"}},
		{"SecondFactorShown", unset, store.Application{}, guest, []string{mfa.AMRFederated, mfa.AMRMFA}, nil, false, "2", []string{"fed", "mfa", "otp"}},
		{"StepUpAsked", nobody, store.Application{}, member, []string{mfa.AMRPassword}, []string{mfa.ACRMultiFactor}, true, "1", []string{"pwd", "otp", "mfa"}},
		{"AppRequires", nobody, store.Application{RequiresMFA: true}, member, []string{mfa.AMRPassword}, nil, true, "1", []string{"pwd", "otp", "mfa"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.needsMFA, mfa.NeedsMFA(tc.t, tc.app, tc.u, tc.amr, tc.acr))
			assert.Equal(t, tc.acrOfAMR, mfa.ACR(tc.amr))
			with := mfa.WithMFA(tc.amr)
			assert.ElementsMatch(t, tc.amrWithIt, with)
			assert.False(t, mfa.NeedsMFA(tc.t, tc.app, tc.u, with, tc.acr), "a second factor satisfies every rule")
		})
	}
}

func TestPolicyRuleDefaultsToGuests(t *testing.T) {
	t.Parallel()
	assert.Equal(t, store.MFARequiredGuests, store.MFAPolicy{}.Rule())
	assert.Equal(t, store.MFARequiredEveryone, store.MFAPolicy{Required: store.MFARequiredEveryone}.Rule())
}
