// No table: how API keys and tokens are made and stored (hashed).

package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// HashSecret is how keys and tokens are stored: a SHA-256 of 256-bit random
// values needs no salt or slow hash, and lookups stay indexed.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NewSecret returns a random URL-safe secret of 32 bytes with a prefix.
func NewSecret(prefix string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}
