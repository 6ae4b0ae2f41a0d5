//go:build unix

package database

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive lock on path (created if missing) and returns
// its release. Goose has no lock for SQLite, so two processes migrating one
// file would otherwise both create the same tables.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
