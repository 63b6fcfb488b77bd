package keys_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/keys"
)

func TestCheck(t *testing.T) {
	e := newEnv(t)
	m := e.node(t)
	ctx := t.Context()
	id := e.tenant(t, "ES256")

	require.ErrorIs(t, m.Check(ctx, id), keys.ErrNoKeys)
	require.Empty(t, e.statesOf(t, id), "Check made no keys")

	require.NoError(t, m.Ensure(ctx, id))
	require.NoError(t, m.Check(ctx, id))

	other := e.node(t, func(c *keys.Config) { c.Sealer = secret.GenerateMasterKey().Sealer("signing-keys") })
	err := other.Check(ctx, id)
	require.ErrorContains(t, err, "unseal signing key", "another master key cannot open them")
}
