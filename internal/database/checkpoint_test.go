package database_test

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"testing"
	"time"

	"reconnect/internal/database"
)

// The app's connection never checkpoints; the background checkpointer keeps
// the write-ahead log bounded while writes never pause, and closing the
// database folds the log into the file and removes it.
func TestSQLiteCheckpointsInTheBackground(t *testing.T) {
	db, path := openSQLite(t, "CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB)")
	closed := false
	defer func() {
		if !closed {
			_ = db.Close()
		}
	}()
	var auto int
	if err := db.SQL.QueryRow("PRAGMA wal_autocheckpoint").Scan(&auto); err != nil {
		t.Fatal(err)
	}
	if auto != 0 {
		t.Fatalf("the app's connection checkpoints every %d pages; its commits should never copy the log", auto)
	}

	// Rows of 4 KiB, one commit each and no pause between them, until the
	// log has been started again: a passive checkpoint alone never restarts
	// a log that is always being written. The test reads the log's length
	// from the WAL index rather than asking SQLite, which would checkpoint.
	const limit = 8 * 4096 // rows of about 3 pages each: some 24 restart sizes
	largest, rows := uint32(0), 0
	for ; rows < limit; rows++ {
		if _, err := db.SQL.Exec("INSERT INTO blobs (b) VALUES (zeroblob(4000))"); err != nil {
			t.Fatalf("row %d: %v", rows, err)
		}
		if rows%64 != 0 {
			continue
		}
		frames := walFrames(t, path)
		if frames < largest/2 {
			t.Logf("log restarted after %d rows, at %d pages", rows, largest)
			break
		}
		largest = max(largest, frames)
	}
	if rows == limit {
		t.Fatalf("after %d rows the log holds %d pages and was never started again", rows, largest)
	}

	if err := db.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	closed = true
	if _, err := os.Stat(path + "-wal"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("after close the write-ahead log is still there (%v): the last connection to close did not checkpoint", err)
	}
	db, err := database.Open(context.Background(), "sqlite:"+path, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.SQL.QueryRow("SELECT count(*) FROM blobs").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != rows+1 {
		t.Fatalf("reopened: %d rows, want %d", n, rows+1)
	}
}

// walFrames reads how many pages the write-ahead log holds (mxFrame): byte
// 16 of the WAL index's header.
func walFrames(t *testing.T, path string) uint32 { return walIndex(t, path, 16) }

// walIndex reads the 32-bit field at byte off of the WAL index (the -shm
// file), as laid out in https://www.sqlite.org/walformat.html: two copies of
// a 48-byte header, then the checkpoint information, in the byte order of the
// machine.
func walIndex(t *testing.T, path string, off int) uint32 {
	t.Helper()
	b, err := os.ReadFile(path + "-shm")
	if err != nil || len(b) < off+4 {
		t.Fatalf("read the WAL index: %v (%d bytes)", err, len(b))
	}
	return binary.NativeEndian.Uint32(b[off : off+4])
}

// A reader in another process may hold a snapshot of the log for as long as
// it likes (an operator's sqlite3 shell, a backup tool). The restart waits
// for it on the app's one connection, so it must give up quickly rather
// than stall every write for the app's 10 s busy timeout; once the reader is
// gone the log is restarted.
func TestSQLiteCheckpointerGivesWayToAnOutsideReader(t *testing.T) {
	db, path := openSQLite(t, "CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB)")
	defer db.Close()
	outside, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer outside.Close()
	reader, err := outside.Begin()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := reader.QueryRow("SELECT count(*) FROM blobs").Scan(&n); err != nil {
		t.Fatal(err)
	}

	// Well past the restart size, then two seconds more: about twenty
	// ticks of the checkpointer, each trying the restart.
	var slowest time.Duration
	var until time.Time
	for rows := 0; until.IsZero() || time.Now().Before(until); rows++ {
		start := time.Now()
		if _, err := db.SQL.Exec("INSERT INTO blobs (b) VALUES (zeroblob(4000))"); err != nil {
			t.Fatalf("row %d: %v", rows, err)
		}
		if slowest = max(slowest, time.Since(start)); slowest > time.Second {
			t.Fatalf("row %d took %v while an outside reader held the log: the restart held the app's connection", rows, slowest)
		}
		if until.IsZero() && rows%64 == 0 && walFrames(t, path) > 2*4096 {
			until = time.Now().Add(2 * time.Second)
		}
	}
	t.Logf("slowest write while the reader held the log: %v", slowest)
	held := walFrames(t, path)

	if err := reader.Rollback(); err != nil {
		t.Fatal(err)
	}
	for rows := 0; ; rows++ {
		if _, err := db.SQL.Exec("INSERT INTO blobs (b) VALUES (zeroblob(4000))"); err != nil {
			t.Fatalf("row %d: %v", rows, err)
		}
		if rows%64 != 0 {
			continue
		}
		if frames := walFrames(t, path); frames < held/2 {
			break
		}
		if rows > 8*4096 {
			t.Fatalf("the reader is gone, yet after %d more rows the log (%d pages) was never started again", rows, walFrames(t, path))
		}
	}
}

// A checkpoint that copies anything syncs the database file. On a lightly
// written database the checkpointer waits a second between them, not a
// tenth, and goes back to a tenth as soon as a burst of writes begins.
func TestSQLiteCheckpointsSeldomWhenLightlyWritten(t *testing.T) {
	db, path := openSQLite(t, "CREATE TABLE notes (id INTEGER PRIMARY KEY, b BLOB)")
	defer db.Close()
	// checkpoints writes a row of size bytes every interval for d (fewer if
	// the machine is slower) and counts the checkpoints that copied pages
	// meanwhile: the times nBackfill, the pages copied from the current
	// log, went up.
	checkpoints := func(d, every time.Duration, size int) (n, rows int) {
		last := walBackfill(t, path)
		start := time.Now()
		for end := start.Add(d); time.Now().Before(end); rows++ {
			if _, err := db.SQL.Exec("INSERT INTO notes (b) VALUES (zeroblob(?))", size); err != nil {
				t.Fatalf("row %d: %v", rows, err)
			}
			for next := start.Add(time.Duration(rows+1) * every); ; {
				if b := walBackfill(t, path); b > last {
					n++
					last = b
				} else if b < last {
					last = b // the log was started again
				}
				if !time.Now().Before(next) {
					break
				}
				time.Sleep(time.Millisecond)
			}
		}
		return n, rows
	}

	// A small row every 10 ms: about 100 pages a second, a tenth of what
	// SQLite's own checkpoints wait for.
	light, rows := checkpoints(3*time.Second, 10*time.Millisecond, 100)
	t.Logf("lightly written: %d checkpoints in 3 s (%d rows)", light, rows)
	if light > 5 {
		t.Fatalf("%d checkpoints in 3 s of a row every 10 ms: want at most one a second (and the first)", light)
	}

	// A 40 KB row every 5 ms: about 2,000 pages a second, twice the rate
	// that keeps the checkpoints a tenth apart, and half the restart size
	// in a second, so that each tick, a tenth or a second apart, is one
	// checkpoint. The first may be a second away.
	checkpoints(2*time.Second, 5*time.Millisecond, 40_000)
	heavy, rows := checkpoints(3*time.Second, 5*time.Millisecond, 40_000)
	t.Logf("heavily written: %d checkpoints in 3 s (%d rows)", heavy, rows)
	if heavy < 8 {
		t.Fatalf("%d checkpoints in 3 s of a 40 KB row every 5 ms (%d rows): want about ten a second (a second apart gave five)", heavy, rows)
	}
}

// walBackfill reads how many pages of the current log have been copied into
// the database file (nBackfill): the first field of the checkpoint
// information that follows the WAL index's two headers.
func walBackfill(t *testing.T, path string) uint32 { return walIndex(t, path, 96) }
