package idp_test

import (
	"net/http"
	"testing"

	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// A value that cannot be a passcode (not eight digits once spaces and
// dashes are dropped) is refused and audited like a wrong code, but
// spends none of the code's five tries: junk typed in the field, or sent
// by someone else, cannot void the guest's code.
func TestMalformedPasscodesSpendNoTry(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newRedeemEnv(t, b)
		_, link := e.invite(t, "typist@partner.test")
		br := e.browser()
		p := e.toCode(t, br, link)
		code := e.lastCode(t, "typist@partner.test")
		for _, junk := range []string{"1234567", "123456789", code + "x", "\x00" + code[1:], "１２３４５６７８", "", "' OR 1=1 --"} {
			p = submit(t, br, p, "code", "verify", map[string]string{"code": junk})
			if p.Status != http.StatusUnauthorized {
				t.Fatalf("%q: status %d, want 401", junk, p.Status)
			}
		}
		p = submit(t, br, p, "code", "verify", map[string]string{"code": code[:4] + " " + code[4:]})
		if p.Status != http.StatusOK {
			t.Fatalf("the right code after junk: status %d: %s", p.Status, p.Text())
		}
	})
}
