package redeem

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMaskEmailShowsAtMostOneCharacter(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"samuel@fabrikam.test":  "s***@fabrikam.test",
		"s@fabrikam.test":       "s***@fabrikam.test",
		"@fabrikam.test":        "***@fabrikam.test",
		"élodie@fabrikam.test":  "é***@fabrikam.test",
		`"a@b"@fabrikam.test`:   `"***@fabrikam.test`,
		"no-at-sign":            "",
		"\xffbad@fabrikam.test": "***@fabrikam.test",
	} {
		assert.Equal(t, want, maskEmail(in), in)
	}
}
