package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/jobs"
)

type probeArgs struct {
	Name string `json:"name"`
}

func (probeArgs) Kind() string { return "test_probe" }

type probeWorker struct {
	river.WorkerDefaults[probeArgs]
	ran chan string
}

func (w *probeWorker) Work(ctx context.Context, j *river.Job[probeArgs]) error {
	w.ran <- j.Args.Name
	return nil
}

func TestJobRunsOnlyAfterCommit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		w := &probeWorker{ran: make(chan string, 10)}
		workers := river.NewWorkers()
		river.AddWorker(workers, w)
		q, err := jobs.New(db, jobs.Config{
			FetchCooldown: 10 * time.Millisecond, FetchPoll: 20 * time.Millisecond,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Work(workers); err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer q.Stop(context.Background())

		rollback := errors.New("rollback")
		err = db.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if _, err := q.InsertTx(ctx, tx, probeArgs{Name: "rolled-back"}, nil); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatalf("want rollback, got %v", err)
		}
		err = db.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			_, err := q.InsertTx(ctx, tx, probeArgs{Name: "committed"}, nil)
			if err != nil {
				return err
			}
			// Not yet committed: the worker must not see it.
			select {
			case got := <-w.ran:
				t.Errorf("job %q ran before commit", got)
			case <-time.After(150 * time.Millisecond):
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-w.ran:
			if got != "committed" {
				t.Fatalf("ran %q, want committed", got)
			}
		case <-ctx.Done():
			t.Fatal("committed job never ran")
		}
		select {
		case got := <-w.ran:
			t.Fatalf("unexpected extra job %q", got)
		case <-time.After(300 * time.Millisecond):
		}
		if _, err := q.InsertTx(ctx, db.Gorm, probeArgs{}, nil); !errors.Is(err, jobs.ErrNotInTx) {
			t.Fatalf("InsertTx outside a transaction: want ErrNotInTx, got %v", err)
		}
	})
}
