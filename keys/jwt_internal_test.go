package keys

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawECDSA turns DER signatures into fixed-size R||S: short integers are
// left-padded, a sign byte dropped, anything malformed refused.
func TestRawECDSA(t *testing.T) {
	t.Parallel()
	der := func(r, s []byte) []byte {
		integer := func(v []byte) []byte { return append([]byte{0x02, byte(len(v))}, v...) }
		body := append(integer(r), integer(s)...)
		return append([]byte{0x30, byte(len(body))}, body...)
	}
	full := bytes.Repeat([]byte{0x7f}, 32)
	high := append([]byte{0x00}, bytes.Repeat([]byte{0xff}, 32)...) // sign byte
	short := []byte{0x01, 0x02}

	out := make([]byte, 64)
	require.NoError(t, rawECDSA(out, der(full, short)))
	assert.Equal(t, full, out[:32])
	assert.Equal(t, append(make([]byte, 30), 0x01, 0x02), out[32:])

	require.NoError(t, rawECDSA(out, der(high, full)))
	assert.Equal(t, bytes.Repeat([]byte{0xff}, 32), out[:32])
	assert.Equal(t, full, out[32:])

	for name, bad := range map[string][]byte{
		"too long":      der(bytes.Repeat([]byte{0x7f}, 33), full),
		"trailing data": append(der(full, full), 0x00),
		"one integer":   {0x30, 0x03, 0x02, 0x01, 0x01},
		"empty":         nil,
	} {
		assert.ErrorIs(t, rawECDSA(out, bad), errBadECDSASignature, name)
	}
}
