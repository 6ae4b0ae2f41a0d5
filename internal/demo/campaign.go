package demo

import (
	"context"
	"fmt"
	"time"

	"reconnect/internal/app"
	"reconnect/internal/campaign"
	"reconnect/internal/model"
	"reconnect/internal/smartcarsim"
)

// The demo's migration campaign runs on minutes instead of weeks, so that
// its whole story plays out while someone watches: notices six and three
// minutes ahead of the cut-over, at it, and three minutes after.
const (
	// CampaignLead is how far ahead of the seed the cut-over lies: time to
	// sign in to the console, look at the draft and launch it.
	CampaignLead = 10 * time.Minute
)

// CampaignOffsets is the demo campaign's notice schedule.
var CampaignOffsets = []time.Duration{-6 * time.Minute, -3 * time.Minute, 0, 3 * time.Minute}

// SeedCampaign defines a draft campaign for the demo's Teslas with its
// cut-over CampaignLead ahead, and plans the carmaker's side of the story
// in the simulator: at the cut-over every Tesla breaks, except those whose
// owners signed in again after now (the announcement). The carmaker
// switches whether or not the campaign is launched, as a real one would;
// launching it is what gives owners the chance to move early.
func SeedCampaign(ctx context.Context, a *app.App, sim *smartcarsim.Sim) (model.Campaign, error) {
	announced := a.Store.Now()
	cutover := announced.Add(CampaignLead).Truncate(time.Minute).Add(time.Minute)
	c, err := a.Campaigns.Create(ctx, campaign.Input{
		Name: "Tesla moves to a new sign-in (demo)", Make: "TESLA", Reason: model.ReasonNewSignIn,
		CustomMessage: map[string]string{
			"en": "Tesla is changing how you sign in. Sign in once more before " + cutover.Format("15:04") + " UTC and your car keeps working.",
		},
		CutoverAt: cutover, NoticeOffsets: CampaignOffsets,
		// The demo's schedule runs in minutes: a wave hold of hours would
		// keep most of its owners out of the story.
		FirstWave: 100,
	})
	if err != nil {
		return c, fmt.Errorf("demo: campaign: %w", err)
	}
	if _, err := sim.ScheduleMigration("TESLA", cutover, smartcarsim.SpareReauthenticatedAfter(announced)); err != nil {
		return c, fmt.Errorf("demo: the carmaker's cut-over: %w", err)
	}
	return c, nil
}
