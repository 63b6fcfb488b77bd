package secret

import (
	"crypto/rand"
	"encoding/base64"

	"github.com/google/uuid"
)

// NewID answers a UUIDv7: a Graph-style GUID that sorts by creation time,
// so keyset paging by id follows creation order.
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// NewToken answers n random bytes, base64url without padding. 32 bytes
// gives the 256-bit secrets Foyer generates for clients and codes.
func NewToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}
