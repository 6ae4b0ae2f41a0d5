package secrets

import (
	"bytes"
	"strings"
	"testing"
)

func TestSealOpenRotation(t *testing.T) {
	oldKey := bytes.Repeat([]byte{1}, 32)
	newKey := bytes.Repeat([]byte{2}, 32)
	old, err := NewSealer([][]byte{oldKey})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := old.Seal("refresh-token-value")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "refresh-token-value") {
		t.Fatal("sealed value contains the plaintext")
	}
	rotated, _ := NewSealer([][]byte{newKey, oldKey})
	got, err := rotated.Open(sealed)
	if err != nil || got != "refresh-token-value" {
		t.Fatalf("rotated sealer cannot open old value: %q %v", got, err)
	}
	onlyNew, _ := NewSealer([][]byte{newKey})
	if _, err := onlyNew.Open(sealed); err != ErrUndecryptable {
		t.Fatalf("want ErrUndecryptable without the old key, got %v", err)
	}
	tampered := []byte(sealed)
	tampered[len(tampered)-2] ^= 1
	if _, err := rotated.Open(string(tampered)); err != ErrUndecryptable {
		t.Fatalf("tampered value opened: %v", err)
	}
	if _, err := NewSealer([][]byte{[]byte("short")}); err == nil {
		t.Fatal("short key accepted")
	}
}
