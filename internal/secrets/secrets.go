// Package secrets encrypts values at rest (Smartcar tokens) with AES-256-GCM
// and supports key rotation: the newest key seals, every key opens.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
)

// ErrUndecryptable means no configured key opens the value, or it was altered.
var ErrUndecryptable = errors.New("secrets: value cannot be decrypted with any configured key")

const kidLen = 4

type key struct {
	id   []byte
	aead cipher.AEAD
}

// Sealer seals and opens values.
type Sealer struct{ keys []key }

// NewSealer takes 32-byte keys, newest first.
func NewSealer(raw [][]byte) (*Sealer, error) {
	if len(raw) == 0 {
		return nil, errors.New("secrets: no key")
	}
	s := &Sealer{}
	for i, k := range raw {
		if len(k) != 32 {
			return nil, fmt.Errorf("secrets: key %d is %d bytes, want 32", i, len(k))
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		// The key id lets Open pick the right key without trying them all; it
		// is a hash prefix, so it reveals nothing about the key.
		sum := sha256.Sum256(append([]byte("reconnect-kid:"), k...))
		s.keys = append(s.keys, key{id: sum[:kidLen], aead: aead})
	}
	return s, nil
}

// Seal encrypts plaintext with the newest key.
func (s *Sealer) Seal(plaintext string) (string, error) {
	k := s.keys[0]
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := append([]byte{}, k.id...)
	out = append(out, nonce...)
	out = k.aead.Seal(out, nonce, []byte(plaintext), k.id)
	return base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value sealed with any configured key.
func (s *Sealer) Open(sealed string) (string, error) {
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(b) < kidLen {
		return "", ErrUndecryptable
	}
	for _, k := range s.keys {
		if subtle.ConstantTimeCompare(b[:kidLen], k.id) != 1 {
			continue
		}
		ns := k.aead.NonceSize()
		if len(b) < kidLen+ns {
			return "", ErrUndecryptable
		}
		pt, err := k.aead.Open(nil, b[kidLen:kidLen+ns], b[kidLen+ns:], k.id)
		if err != nil {
			return "", ErrUndecryptable
		}
		return string(pt), nil
	}
	return "", ErrUndecryptable
}
