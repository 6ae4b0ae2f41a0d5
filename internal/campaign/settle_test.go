package campaign_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"reconnect/internal/campaign"
	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/jobs"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// settledWorld is a world whose launches are settled by the job queue, as
// in the app; the queue is built but not started, so a test sees what a
// launch committed before the job ran.
func settledWorld(t *testing.T, db *database.DB) (*world, *jobs.Queue) {
	w := newWorld(t, db)
	q, err := jobs.New(db, jobs.Config{FetchCooldown: 10 * time.Millisecond, FetchPoll: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &campaign.SettleLaunchWorker{Campaigns: w.svc})
	if err := q.Work(workers); err != nil {
		t.Fatal(err)
	}
	w.svc.SettleLater(q)
	return w, q
}

// written counts a campaign's notices and campaign_joined timeline entries.
func (w *world) written(c model.Campaign) (notices, joined int64) {
	w.t.Helper()
	if err := w.store.DB().Table("campaign_notices").Where("campaign_id = ?", c.ID).Count(&notices).Error; err != nil {
		w.t.Fatal(err)
	}
	if err := w.store.DB().Table("vehicle_events").Where("kind = ?", model.EventCampaignJoined).Count(&joined).Error; err != nil {
		w.t.Fatal(err)
	}
	return notices, joined
}

func TestALaunchCommitsTheCohortAndAJobWritesTheTimelineAndNoticesOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w, q := settledWorld(t, db)
		var owners []model.Owner
		for _, id := range []string{"o1", "o2", "o3"} {
			o := w.owner(id, id+"@example.com")
			owners = append(owners, o)
			w.car(id+"-a", &o, "TESLA", "Model 3", 2021, "DE")
			w.car(id+"-b", &o, "TESLA", "Model Y", 2022, "DE")
		}
		cut := start.Add(10 * 24 * time.Hour)
		c := w.create(tesla(cut))

		// Two instances launch at once: one snapshot, one job.
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if got, err := w.svc.Launch(w.ctx, c.ID); err != nil || got.State != model.CampaignRunning {
					t.Errorf("launch: %+v %v", got, err)
				}
			}()
		}
		wg.Wait()
		// The launch wrote each owner's first notice (the campaign's next
		// notice is known at once), the job the rest.
		if n, joined := w.written(c); n != 3 || joined != 0 {
			t.Fatalf("before the job: %d notices and %d timeline entries, want 3 and none", n, joined)
		}
		for _, o := range owners {
			if ns := w.notices(c, o); len(ns) != 1 || !ns[0].DueAt.Equal(start) {
				t.Fatalf("%s before the job: %+v", o.HostUserID, ns)
			}
		}
		if cohort, err := w.svc.Preview(w.ctx, c.ID); err != nil || cohort.Vehicles != 6 {
			t.Fatalf("cohort after launch: %+v %v", cohort, err)
		}

		// A car that joins before the job runs writes its own entry; the
		// job does not write a second.
		w.advance(time.Minute)
		late := w.car("o1-c", &owners[0], "TESLA", "Model 3", 2023, "DE")

		ctx, cancel := context.WithTimeout(w.ctx, 30*time.Second)
		defer cancel()
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer q.Stop(context.Background())
		for {
			if n, _ := w.written(c); n == 3*5 {
				break
			}
			if ctx.Err() != nil {
				n, joined := w.written(c)
				t.Fatalf("the job wrote %d notices and %d entries in 30 s, want 15 and 7", n, joined)
			}
			time.Sleep(20 * time.Millisecond)
		}
		// The job also counts the new cohort's funnel, so the page's first
		// reader finds the counters made: 7 vehicles, none notified yet.
		for {
			var counted int64
			if err := w.store.DB().Table("campaign_funnel_counts").Where("campaign_id = ?", c.ID).
				Select("COALESCE(SUM(vehicles), 0)").Scan(&counted).Error; err != nil {
				t.Fatal(err)
			}
			if counted == 7 {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("the job counted %d vehicles of the funnel, want 7", counted)
			}
			time.Sleep(20 * time.Millisecond)
		}
		wantDue := []time.Time{start, cut.Add(-168 * time.Hour), cut.Add(-48 * time.Hour), cut, cut.Add(72 * time.Hour)}
		for _, o := range owners {
			ns := w.notices(c, o)
			if len(ns) != len(wantDue) {
				t.Fatalf("%s: %d notices", o.HostUserID, len(ns))
			}
			for i, n := range ns {
				if !n.DueAt.Equal(wantDue[i]) || n.Status != store.NoticePending {
					t.Fatalf("%s notice %d: %+v, want due %s", o.HostUserID, i, n, wantDue[i])
				}
			}
		}
		evs, err := w.store.EventsByVehicle(w.ctx, late.ID, store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		joinedLate := 0
		for _, e := range evs {
			if e.Kind == model.EventCampaignJoined {
				joinedLate++
			}
		}
		if joinedLate != 1 {
			t.Fatalf("the late car has %d campaign_joined entries, want 1", joinedLate)
		}

		// The job again (a retry after a crash past its commit), and a
		// launch again: nothing more.
		if err := w.svc.SettleLaunch(w.ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		w.launch(c.ID)
		time.Sleep(200 * time.Millisecond)
		if n, joined := w.written(c); n != 15 || joined != 7 {
			t.Fatalf("after settling again: %d notices and %d entries, want 15 and 7", n, joined)
		}
	})
}

func TestALaunchCancelledBeforeItsJobGetsItsTimelineButNoMoreNotices(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w, _ := settledWorld(t, db)
		o := w.owner("o1", "o1@example.com")
		w.car("o1-a", &o, "TESLA", "Model 3", 2021, "DE")
		c := w.create(tesla(start.Add(10 * 24 * time.Hour)))
		w.launch(c.ID)
		if _, err := w.svc.Cancel(w.ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.SettleLaunch(w.ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if n, joined := w.written(c); n != 1 || joined != 1 {
			t.Fatalf("%d notices and %d timeline entries, want 1 (the first, withdrawn) and 1", n, joined)
		}
		if ns := w.notices(c, o); ns[0].Status != store.NoticeCancelled {
			t.Fatalf("the first notice is %s", ns[0].Status)
		}
	})
}
