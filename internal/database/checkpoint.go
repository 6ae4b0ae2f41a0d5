package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// SQLite in WAL mode appends every commit to the write-ahead log and, by
// default, copies the log back into the database file (a checkpoint) inside
// whichever commit takes the log past 1,000 pages. On the webhook path that
// commit is a batch of owners' events waiting for their answer: under a burst
// the checkpoints took a fifth of the one writer's time. So the app's
// connection never checkpoints (wal_autocheckpoint(0)) and a connection of
// its own does it in the background:
//   - every checkpointEvery while the log grows by idleRate pages a second
//     or more, every idleEvery otherwise, a PASSIVE checkpoint, which copies
//     what it can while the app keeps writing. A checkpoint that copied
//     anything syncs the database file: ten of those a second would cost a
//     lightly written database more than SQLite's own checkpoints, which
//     wait for 1,000 pages;
//   - once the log holds restartFrames pages, a RESTART checkpoint, which
//     copies the pages written since and starts the log again from its
//     beginning. A passive checkpoint never restarts the log; the app's
//     next write does only when it begins just after a checkpoint that
//     caught up with every commit, which a steady stream of commits leaves
//     to chance (in a test, after about 85,000 commits instead of 4,000),
//     and the log grows meanwhile. The restart runs on the app's
//     one connection, queued like any of the app's statements, so it has
//     the write lock as soon as it runs; on a connection of its own it
//     would wait for a moment when the app holds no lock, which a steady
//     stream of commits may never leave (SQLite's busy handler polls).
//
// Source: https://www.sqlite.org/wal.html#automatic_checkpoint and
// https://www.sqlite.org/pragma.html#pragma_wal_checkpoint.
const (
	checkpointEvery = 100 * time.Millisecond
	idleEvery       = time.Second
	idleRate        = 1000 // pages a second: SQLite's own checkpoint size each second
	restartFrames   = 4096 // 16 MiB of 4 KiB pages
	restartLeft     = 256  // pages a restart may have to copy itself (1 MiB)
	catchUp         = 8
	restartWait     = 50 * time.Millisecond // the restart's busy timeout
)

// checkpointer runs the background checkpoints of one SQLite database.
type checkpointer struct {
	db     *sql.DB // the checkpointer's own connection
	app    *sql.DB // the app's connection, for the restart
	log    *slog.Logger
	cancel context.CancelFunc
	done   sync.WaitGroup
}

func startCheckpointer(app *sql.DB, dsn string, log *slog.Logger) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{db: db, app: app, log: log, cancel: cancel}
	c.done.Add(1)
	go c.run(ctx)
	return c, nil
}

func (c *checkpointer) run(ctx context.Context) {
	defer c.done.Done()
	wait := checkpointEvery
	t := time.NewTimer(wait)
	defer t.Stop()
	last := 0 // the log's length in pages after the last checkpoint
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		frames, err := c.checkpoint(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			// Logged once per spell: the app's writes go on regardless,
			// only the log grows until a checkpoint succeeds again.
			c.log.Warn("sqlite checkpoint failed; retrying", "err", err)
			failing = true
		case err == nil && failing:
			c.log.Info("sqlite checkpoint works again")
			failing = false
		}
		if err == nil {
			wait = nextCheckpoint(last, frames, wait)
			last = frames
		}
		t.Reset(wait)
	}
}

// nextCheckpoint says how long to wait for the next checkpoint, given the
// log's length in pages after the last two and the wait between them:
// checkpointEvery while the log grows by idleRate pages a second or more,
// idleEvery otherwise. A log shorter than before was started again.
func nextCheckpoint(before, after int, waited time.Duration) time.Duration {
	grown := after - before
	if after < before {
		grown = after
	}
	if float64(grown) >= idleRate*waited.Seconds() {
		return checkpointEvery
	}
	return idleEvery
}

// checkpoint copies the log into the database file and restarts the log
// once it has grown past restartFrames. Before the restart, which holds the
// app's connection while it copies what is left, passive checkpoints catch
// up with the app's writes (each copies what was written during the one
// before) until little is left, at most catchUp times.
//
// It returns the log's length in pages afterwards: 0 after a restart.
func (c *checkpointer) checkpoint(ctx context.Context) (frames int, err error) {
	frames, err = walCheckpoint(ctx, c.db, "PASSIVE")
	if err != nil || frames < restartFrames {
		return frames, err
	}
	for range catchUp {
		before := frames
		if frames, err = walCheckpoint(ctx, c.db, "PASSIVE"); err != nil {
			return frames, err
		}
		if frames-before < restartLeft {
			break
		}
	}
	if err := c.restart(ctx); err != nil {
		return frames, err
	}
	return 0, nil
}

// restart runs the RESTART checkpoint on the app's connection with a short
// busy timeout. A reader in another process (an operator's sqlite3 shell, a
// backup tool) can hold a snapshot of the log for as long as it likes, and
// the restart waits for it while it holds the app's one connection: with
// the app's own timeout every write would stall for 10 s. Given up, the
// restart is tried again at the next tick; the log grows meanwhile, as it
// would with SQLite's own checkpoints.
func (c *checkpointer) restart(ctx context.Context) error {
	conn, err := c.app.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", restartWait.Milliseconds())); err != nil {
		return err
	}
	_, err = walCheckpoint(ctx, conn, "RESTART")
	// Back to the app's timeout even when the context is done: the
	// connection goes back to the pool.
	_, rerr := conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA busy_timeout = %d", busyTimeout.Milliseconds()))
	return errors.Join(err, rerr)
}

// walCheckpoint runs one wal_checkpoint on db (a pool or one of its
// connections) and returns the pages the log held.
func walCheckpoint(ctx context.Context, db interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, mode string) (frames int, err error) {
	var busy, done int
	err = db.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &frames, &done)
	return frames, err
}

// halt ends the background checkpoints; close then closes their connection.
// Close halts before it closes the app's connection, which a restart may be
// using, and closes last.
func (c *checkpointer) halt() {
	c.cancel()
	c.done.Wait()
}

func (c *checkpointer) close() error { return c.db.Close() }
