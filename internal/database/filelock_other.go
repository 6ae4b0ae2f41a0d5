//go:build !unix

package database

import "sync"

var migrateMu sync.Mutex

// lockFile serialises migrations within this process where file locks are
// not available.
func lockFile(string) (func(), error) {
	migrateMu.Lock()
	return migrateMu.Unlock, nil
}
