package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// A SigningKey signs JWTs itself, without a JOSE library per token: its
// protected headers are encoded once per token type and kept, and the
// signature is made straight with crypto. ES256 signatures are the raw
// R||S pair JWS asks for (RFC 7518 §3.4), RS256 is RSASSA-PKCS1-v1_5 with
// SHA-256 (§3.3), EdDSA is Ed25519 over the signing input (RFC 8037).

// es256Size is the size of one of R and S in an ES256 signature.
const es256Size = 32

var b64 = base64.RawURLEncoding

// jwtHeader is a protected header encoded for one token type.
type jwtHeader struct {
	typ     string
	encoded []byte // base64url of the header's JSON
}

// headerFields is the protected header as go-jose writes it: alg, kid,
// typ, in that order.
type headerFields struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// header answers the key's encoded protected header for typ, encoding it
// on the first use. Token types are few (ID token, access token), so the
// list is scanned, and replaced whole when one is added.
func (k *SigningKey) header(typ string) ([]byte, error) {
	if list := k.headers.Load(); list != nil {
		for _, h := range *list {
			if h.typ == typ {
				return h.encoded, nil
			}
		}
	}
	raw, err := json.Marshal(headerFields{Alg: string(k.algorithm), Kid: k.id, Typ: typ})
	if err != nil {
		return nil, fmt.Errorf("encode JOSE header: %w", err)
	}
	h := jwtHeader{typ: typ, encoded: b64.AppendEncode(nil, raw)}
	for {
		old := k.headers.Load()
		var next []jwtHeader
		if old != nil {
			next = append(next, *old...)
		}
		next = append(next, h)
		if k.headers.CompareAndSwap(old, &next) {
			return h.encoded, nil
		}
	}
}

// tokenBuffers hold a token while it is assembled.
var tokenBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// SignJWT answers the compact JWS of payload, a JSON object, with the
// key's alg and kid and typ in its protected header.
func (k *SigningKey) SignJWT(typ string, payload []byte) (string, error) {
	header, err := k.header(typ)
	if err != nil {
		return "", err
	}
	bp := tokenBuffers.Get().(*[]byte)
	defer tokenBuffers.Put(bp)
	buf := append((*bp)[:0], header...)
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, payload)
	signingInput := len(buf)
	buf, err = k.appendSignature(append(buf, '.'), buf[:signingInput])
	if err != nil {
		return "", err
	}
	*bp = buf
	return string(buf), nil
}

// appendSignature appends the base64url signature of input to buf.
func (k *SigningKey) appendSignature(buf, input []byte) ([]byte, error) {
	switch key := k.key.(type) {
	case *ecdsa.PrivateKey:
		digest := sha256.Sum256(input)
		der, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
		if err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		var raw [2 * es256Size]byte
		if err := rawECDSA(raw[:], der); err != nil {
			return nil, err
		}
		return b64.AppendEncode(buf, raw[:]), nil
	case *rsa.PrivateKey:
		digest := sha256.Sum256(input)
		sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
		if err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		return b64.AppendEncode(buf, sig), nil
	case ed25519.PrivateKey:
		return b64.AppendEncode(buf, ed25519.Sign(key, input)), nil
	}
	return nil, fmt.Errorf("signing key %q: cannot sign with a %T", k.id, k.key)
}

var errBadECDSASignature = errors.New("sign: malformed ECDSA signature")

// rawECDSA writes the ASN.1 ECDSA signature der into out as R||S, each
// left-padded to half of out.
func rawECDSA(out, der []byte) error {
	var r, s cryptobyte.String
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, asn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadASN1(&r, asn1.INTEGER) || !seq.ReadASN1(&s, asn1.INTEGER) || !seq.Empty() {
		return errBadECDSASignature
	}
	size := len(out) / 2
	for i, n := range []cryptobyte.String{r, s} {
		// A DER integer is minimal, with a leading zero when its top bit
		// is set; R and S are positive and below the group order.
		for len(n) > 0 && n[0] == 0 {
			n = n[1:]
		}
		if len(n) > size {
			return errBadECDSASignature
		}
		half := out[i*size : (i+1)*size]
		clear(half)
		copy(half[size-len(n):], n)
	}
	return nil
}

// headerCache is the SigningKey field holding its encoded headers.
type headerCache = atomic.Pointer[[]jwtHeader]
