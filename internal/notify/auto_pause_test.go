package notify_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"

	"reconnect/internal/campaign"
	"reconnect/internal/config"
	"reconnect/internal/dbtest"
	"reconnect/internal/hostwebhook"
	"reconnect/internal/jobs"
	"reconnect/internal/lifecycle"
	"reconnect/internal/links"
	"reconnect/internal/mail"
	"reconnect/internal/mail/devsmtp"
	"reconnect/internal/model"
	"reconnect/internal/notify"
	"reconnect/internal/store"
)

// A first wave whose mail the server mostly refuses pauses its campaign
// as soon as 50 emails have an answer: the host's campaign.paused webhook
// is queued, the counter and the audit log say so, and nothing more is
// handed to SMTP, not even when the hold runs out, until staff resume.
// After the resume the later wave still waits a whole hold.
func TestAFirstWaveTheServerRefusesPausesTheCampaign(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		var refusing atomic.Bool
		refusing.Store(true)
		var mu sync.Mutex
		var tried []string
		srv, err := devsmtp.Start(devsmtp.Options{Check: func(_ string, to []string, _ []byte) error {
			mu.Lock()
			tried = append(tried, to[0])
			mu.Unlock()
			// Four addresses in five do not exist.
			if refusing.Load() && !strings.HasSuffix(strings.Split(to[0], "@")[0], "0") && !strings.HasSuffix(strings.Split(to[0], "@")[0], "5") {
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Mailbox does not exist"}
			}
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		attempts := func() int {
			mu.Lock()
			defer mu.Unlock()
			return len(tried)
		}

		db := dbtest.Open(t, dialect)
		clk := &clock{}
		clk.Set(t0)
		st := store.New(db).WithClock(clk.Now)
		s, err := config.ParseSMTPURL(srv.URL())
		if err != nil {
			t.Fatal(err)
		}
		sender, err := mail.NewSMTP(mail.Settings{SMTP: s, From: "ChargeWell <noreply@chargewell.example>", Timeout: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		q, err := jobs.New(db, jobs.Config{Logger: logger()})
		if err != nil {
			t.Fatal(err)
		}
		reg := prometheus.NewRegistry()
		hooks, err := hostwebhook.New(hostwebhook.Config{URL: "https://host.example/hooks", Secret: hostwebhook.NewSecret(), MaxAttempts: 3}, st, logger(), reg)
		if err != nil {
			t.Fatal(err)
		}
		lk := links.New(st, links.Config{PublicBaseURL: "https://reconnect.example", EmailTTL: 168 * time.Hour, InAppTTL: 15 * time.Minute})
		cfg := defaultConfig()
		svc := notify.New(cfg, st, lk, sender, q, nil, logger())
		lc := lifecycle.New(st, svc)
		camps := campaign.New(st, lc, hooks.Campaigns(q))
		camps.ObserveAutoPauses(campaign.NewAutoPauses(reg))
		lc.AddVehicleHook(camps)
		lc.AddHook(camps)
		svc.SendCampaigns(camps)

		const owners = 120
		var ids []int64
		for i := range owners {
			o, err := st.UpsertOwner(ctx, store.OwnerInput{HostUserID: fmt.Sprintf("o%03d", i), Email: fmt.Sprintf("o%03d@example.com", i), Locale: "en", TimeZone: "UTC"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: fmt.Sprintf("sc-%03d", i), OwnerID: &o.ID, Make: "TESLA", Model: "Model 3", Year: 2021}); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, o.ID)
		}
		// Half the owners in the first wave; the cut-over is close, so the
		// steps already past make one notice due at each release.
		c, err := camps.Create(ctx, campaign.Input{Name: "Tesla platform", Make: "TESLA", Reason: model.ReasonNewPlatform,
			CutoverAt: t0.Add(24 * time.Hour), FirstWave: 50, WaveHold: 2 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if c, err = camps.Launch(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		run := func() {
			for _, id := range ids {
				if _, err := svc.Deliver(ctx, id, false); err != nil {
					var gaveUp *notify.GaveUpError
					if !errors.As(err, &gaveUp) {
						t.Fatal(err)
					}
				}
			}
		}

		run()
		c, _ = camps.Get(ctx, c.ID)
		if c.State != model.CampaignPaused || c.PauseReason != model.PauseBounces {
			t.Fatalf("after the first wave: %s (%q), %d emails tried", c.State, c.PauseReason, attempts())
		}
		if n := attempts(); n != campaign.MinEmailsForSafety {
			t.Fatalf("%d emails were handed to SMTP; the campaign should have paused at the %dth", n, campaign.MinEmailsForSafety)
		}
		if !strings.Contains(c.PauseDetail, `"emails":50`) || !strings.Contains(c.PauseDetail, `"failed":40`) {
			t.Errorf("the numbers behind the pause: %s", c.PauseDetail)
		}
		ds, _ := st.HostDeliveries(ctx, nil, store.Page{})
		var paused []store.HostDelivery
		for _, d := range ds {
			if d.EventType == hostwebhook.EventCampaignPaused {
				paused = append(paused, d)
			}
		}
		if len(paused) != 1 || !strings.Contains(paused[0].Payload, `"reason":"bounces"`) || !strings.Contains(paused[0].Payload, fmt.Sprintf(`"campaign_id":%d`, c.ID)) {
			t.Fatalf("campaign.paused webhooks queued: %+v", paused)
		}
		if got := autoPauses(t, reg, model.PauseBounces); got != 1 {
			t.Fatalf("reconnect_campaign_auto_pauses_total{reason=bounces} = %v", got)
		}
		audits, _ := st.AuditEntries(ctx, store.AuditFilter{Action: model.AuditCampaignAutoPaused})
		if len(audits) != 1 || audits[0].StaffID != nil {
			t.Fatalf("audit entries: %+v", audits)
		}

		// Paused: neither the rest of the first wave nor, once the hold has
		// passed, the later wave is handed to SMTP.
		clk.Advance(3 * time.Hour)
		run()
		if n := attempts(); n != campaign.MinEmailsForSafety {
			t.Fatalf("%d emails were handed to SMTP while the campaign was paused", n-campaign.MinEmailsForSafety)
		}

		// Staff fix the list and resume: the first wave's last ten go now,
		// the later wave only a whole hold after the resume.
		refusing.Store(false)
		if _, err := camps.Resume(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		run()
		if n := attempts(); n != owners/2 {
			t.Fatalf("after the resume %d emails in all, want the first wave's %d", n, owners/2)
		}
		clk.Advance(time.Hour + 50*time.Minute)
		run()
		if n := attempts(); n != owners/2 {
			t.Fatalf("the later wave went %s after the resume, before its hold: %d emails", time.Hour+50*time.Minute, n)
		}
		clk.Advance(15 * time.Minute)
		run()
		if n := attempts(); n != owners {
			t.Fatalf("after the hold %d emails in all, want %d", n, owners)
		}
		if c, _ = camps.Get(ctx, c.ID); c.State != model.CampaignRunning {
			t.Fatalf("a healthy later wave paused the campaign: %s %s", c.PauseReason, c.PauseDetail)
		}
	})
}

// autoPauses reads reconnect_campaign_auto_pauses_total for a reason.
func autoPauses(t *testing.T, reg *prometheus.Registry, reason model.PauseReason) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "reconnect_campaign_auto_pauses_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == string(reason) {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatal("no reconnect_campaign_auto_pauses_total")
	return 0
}
