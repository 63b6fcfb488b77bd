package secret

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are argon2id's cost parameters. OWASP's minimum is 19 MiB of
// memory, 2 passes, 1 lane.
type Argon2Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// OWASPArgon2 is OWASP's recommended minimum configuration.
var OWASPArgon2 = Argon2Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

// ErrPasswordMismatch means the password does not match the hash.
var ErrPasswordMismatch = errors.New("password does not match")

// PasswordHasher hashes user passwords with argon2id. Each hash takes
// MemoryKiB of memory, so the number running at once is capped: a login
// flood queues instead of exhausting memory.
type PasswordHasher struct {
	params Argon2Params
	slots  chan struct{}
}

// NewPasswordHasher answers a hasher that runs at most concurrency hashes
// at once (at least 1).
func NewPasswordHasher(p Argon2Params, concurrency int) *PasswordHasher {
	return &PasswordHasher{params: p, slots: make(chan struct{}, max(concurrency, 1))}
}

func (h *PasswordHasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting to hash password: %w", ctx.Err())
	}
}

func (h *PasswordHasher) release() { <-h.slots }

// Hash answers a PHC string: $argon2id$v=19$m=…,t=…,p=…$salt$hash.
func (h *PasswordHasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	p := h.params
	sum := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, 32)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, enc.EncodeToString(salt), enc.EncodeToString(sum)), nil
}

// Verify checks password against a PHC string made by Hash, with the
// parameters recorded in it. A mismatch is ErrPasswordMismatch.
func (h *PasswordHasher) Verify(ctx context.Context, password, phc string) error {
	p, salt, want, err := parsePHC(phc)
	if err != nil {
		return err
	}
	if err := h.acquire(ctx); err != nil {
		return err
	}
	defer h.release()
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrPasswordMismatch
	}
	return nil
}

// NeedsRehash reports whether phc was made with other parameters than the
// hasher's, so a successful sign-in can upgrade it.
func (h *PasswordHasher) NeedsRehash(phc string) bool {
	p, _, _, err := parsePHC(phc)
	return err != nil || p != h.params
}

func parsePHC(phc string) (p Argon2Params, salt, sum []byte, err error) {
	bad := errors.New("password hash is not an argon2id PHC string")
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, bad
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, bad
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, bad
	}
	// Refuse absurd costs from a tampered row rather than allocate them.
	if p.MemoryKiB == 0 || p.MemoryKiB > 1<<20 || p.Time == 0 || p.Time > 16 || p.Threads == 0 {
		return p, nil, nil, bad
	}
	enc := base64.RawStdEncoding
	if salt, err = enc.DecodeString(parts[4]); err != nil {
		return p, nil, nil, bad
	}
	if sum, err = enc.DecodeString(parts[5]); err != nil || len(sum) < 16 {
		return p, nil, nil, bad
	}
	return p, salt, sum, nil
}
