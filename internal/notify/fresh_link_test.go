package notify_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"

	"reconnect/internal/audit"
	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/jobs"
	"reconnect/internal/links"
	"reconnect/internal/model"
	"reconnect/internal/notify"
	"reconnect/internal/store"
)

// linkRecorder records the fresh links that would be emailed.
type linkRecorder struct {
	mu  sync.Mutex
	ids []int64
}

func (r *linkRecorder) SendFreshLink(_ context.Context, _ *store.Store, o model.Owner, _ *int64, _ model.Source) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ids = append(r.ids, o.ID)
	return nil
}

// "Email me a new link" does the same database work for an owner's
// address and for an address nobody has: one job, no lookup. The job does
// the lookup, and only an owner gets an event and an email.
func TestFreshLinkRequestsAreAlikeForKnownAndUnknownAddresses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		st := store.New(db)
		alice, err := st.UpsertOwner(ctx, store.OwnerInput{HostUserID: "u-alice", Email: "alice@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		q, err := jobs.New(db, jobs.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		rec := &linkRecorder{}
		f := notify.NewFreshLinks(st, links.New(st, links.Config{PublicBaseURL: "https://r.example"}), audit.New(st), rec, q)

		var statements atomic.Int64
		count := func(*gorm.DB) { statements.Add(1) }
		cb := db.Gorm.Callback()
		for _, err := range []error{
			cb.Query().After("gorm:query").Register("test:count_query", count),
			cb.Create().After("gorm:create").Register("test:count_create", count),
			cb.Update().After("gorm:update").Register("test:count_update", count),
			cb.Delete().After("gorm:delete").Register("test:count_delete", count),
			cb.Row().After("gorm:row").Register("test:count_row", count),
			cb.Raw().After("gorm:raw").Register("test:count_raw", count),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		jobCount := func() int {
			var n int
			if err := db.SQL.QueryRowContext(ctx, "SELECT count(*) FROM river_job WHERE kind = 'fresh_link_request'").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		type work struct {
			statements int64
			jobs       int
		}
		did := func(email string) work {
			statements.Store(0)
			before := jobCount()
			if err := f.Request(ctx, email); err != nil {
				t.Fatal(err)
			}
			return work{statements.Load(), jobCount() - before}
		}
		known, unknown := did("alice@example.com"), did("nobody@example.com")
		if known != unknown || known.jobs != 1 {
			t.Fatalf("a known address did %+v, an unknown one %+v; want the same, one job each", known, unknown)
		}
		if evs, _ := st.EventsByOwner(ctx, alice.ID, store.Page{}); len(evs) != 0 || len(rec.ids) != 0 {
			t.Fatalf("the request was served before its job ran: %d events, %d emails", len(evs), len(rec.ids))
		}

		w := &notify.FreshLinkWorker{FreshLinks: f}
		for _, email := range []string{"alice@example.com", "nobody@example.com"} {
			if err := w.Work(ctx, &river.Job[notify.FreshLinkRequestArgs]{JobRow: &rivertype.JobRow{}, Args: notify.FreshLinkRequestArgs{Email: email}}); err != nil {
				t.Fatal(err)
			}
		}
		evs, _ := st.EventsByOwner(ctx, alice.ID, store.Page{})
		if !slices.ContainsFunc(evs, func(e model.Event) bool { return e.Kind == model.EventFreshLinkRequested }) {
			t.Fatal("the request is not on the owner's timeline")
		}
		if !slices.Equal(rec.ids, []int64{alice.ID}) {
			t.Fatalf("emailed %v, want only Alice (#%d)", rec.ids, alice.ID)
		}
	})
}
