package app

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"reconnect/internal/store"
)

// pruneArgs asks for old operational rows to be deleted. It runs hourly.
type pruneArgs struct{}

func (pruneArgs) Kind() string { return "prune" }

type pruneWorker struct {
	river.WorkerDefaults[pruneArgs]
	store *store.Store
}

func (w *pruneWorker) Work(ctx context.Context, _ *river.Job[pruneArgs]) error {
	return w.store.Prune(ctx, w.store.Now().Add(-90*24*time.Hour))
}
