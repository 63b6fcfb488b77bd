package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/foyer-idp/foyer/internal/secret"
)

// The bounds' names, as the table shows them.
const (
	boundArgon2 = "argon2id verifications at Foyer's parameters (19 MiB, t=2, p=1; GOMAXPROCS at once)"
	boundRSA    = "RSA-2048 PKCS#1 v1.5 SHA-256 signatures"
)

// measure runs op on workers goroutines for d and answers completions per
// second.
func measure(ctx context.Context, workers int, d time.Duration, op func(context.Context) error) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var done atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				if err := op(ctx); err != nil {
					if ctx.Err() == nil {
						once.Do(func() { first = err; cancel() })
					}
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	if first != nil {
		return 0, first
	}
	return float64(done.Load()) / time.Since(start).Seconds(), nil
}

// argon2Bound is how many password verifications per second this machine
// does at Foyer's parameters, through Foyer's own hasher with its default
// concurrency (GOMAXPROCS hashes at once, the rest wait): the ceiling of
// password-flow.
func argon2Bound(ctx context.Context, workers int, d time.Duration) (float64, error) {
	h := secret.NewPasswordHasher(secret.OWASPArgon2, runtime.GOMAXPROCS(0))
	phc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		return 0, err
	}
	return measure(ctx, workers, d, func(ctx context.Context) error {
		err := h.Verify(ctx, "correct horse battery staple", phc)
		if ctx.Err() != nil {
			return nil // cut short by the end of the measurement
		}
		return err
	})
}

// rsaBound is how many RSA-2048 signatures per second this machine makes:
// the ceiling of client_credentials with RS256.
func rsaBound(ctx context.Context, workers int, d time.Duration) (float64, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return 0, err
	}
	digest := sha256.Sum256([]byte("header.claims"))
	return measure(ctx, workers, d, func(context.Context) error {
		_, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
		return err
	})
}
