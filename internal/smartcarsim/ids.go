package smartcarsim

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"strings"
)

// newID returns a random UUID (version 4). Smartcar's ids are opaque strings;
// UUIDs match what its SDK fixtures show.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// newSecret returns 32 random bytes as hex, for tokens and session keys.
func newSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

const vinAlphabet = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"

// newVIN returns a VIN-shaped string (17 characters, no I, O or Q). The check
// digit is not computed: nothing downstream validates it.
func newVIN() string {
	var b [17]byte
	_, _ = rand.Read(b[:])
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(vinAlphabet[int(c)%len(vinAlphabet)])
	}
	return sb.String()
}

// stableNumber hashes s into [0, n) so that the same email always gets the
// same generated garage.
func stableNumber(s string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(s))
	return int(h.Sum32() % uint32(n))
}
