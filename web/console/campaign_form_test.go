package console

import (
	"context"
	"slices"
	"testing"
	"time"

	"reconnect/internal/campaign"
	"reconnect/internal/model"
	consoleviews "reconnect/views/console"
)

func TestTheCampaignFormReadsListsTimesAndOffsetsAsStaffTypeThem(t *testing.T) {
	in, errs := campaignInput(context.Background(), consoleviews.CampaignForm{
		Name: "Tesla", Make: " tesla ", Models: "Model 3,\nModel Y", Countries: "de, fr", VehicleIDs: "5YJ3E1EA7MF000001\nveh-1, veh-2",
		Reason: "new_platform", Cutover: "2027-03-03 09:00", Offsets: "-14d, -2h, 0, +3d", FirstWave: "50%", WaveHold: "2d",
		Messages: map[string]string{"en": " Move now. ", "de": ""}, Breaks: true, Flow: "reauthenticate",
	})
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	want := []time.Duration{-14 * 24 * time.Hour, -2 * time.Hour, 0, 72 * time.Hour}
	if in.Make != "TESLA" || !slices.Equal(in.Models, []string{"Model 3", "Model Y"}) || !slices.Equal(in.Countries, []string{"DE", "FR"}) ||
		len(in.VehicleIDs) != 3 || !in.CutoverAt.Equal(time.Date(2027, 3, 3, 9, 0, 0, 0, time.UTC)) || !slices.Equal(in.NoticeOffsets, want) ||
		in.FirstWave != 50 || in.WaveHold != 48*time.Hour || len(in.CustomMessage) != 1 || in.CustomMessage["en"] != "Move now." || !*in.BreaksConnections {
		t.Fatalf("input %+v", in)
	}
	_, errs = campaignInput(context.Background(), consoleviews.CampaignForm{YearFrom: "twenty", Cutover: "3 March", Offsets: "-14d, soon", WaveHold: "-1h"})
	for _, f := range []string{"year_from", "cutover_at", "notice_offsets", "wave_hold"} {
		if errs[f] == "" {
			t.Errorf("no error on %s: %v", f, errs)
		}
	}
}

func TestTheServicesFieldNamesLandOnTheFormsFields(t *testing.T) {
	for _, tc := range []struct{ field, want string }{
		{"countries[1]", "countries"}, {"notice_offsets[0]", "notice_offsets"}, {"vehicle_ids[3]", "vehicle_ids"},
		{"custom_message.de", "custom_message_de"}, {"custom_message", "custom_message_en"}, {"cutover_at", "cutover_at"},
		{campaign.IdempotencyKeyField, "name"},
	} {
		if got, msg := formField(tc.field, "must be so"); got != tc.want || msg == "" {
			t.Errorf("%s → %s %q, want %s", tc.field, got, msg, tc.want)
		}
	}
	if _, msg := formField("countries[1]", "must be a code"); msg != "Entry 2 must be a code." {
		t.Errorf("message %q", msg)
	}
}

func TestTheProgressLineSaysOwnersToldAndWhenTheNextNoticeIsDue(t *testing.T) {
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	next := now.Add(3*24*time.Hour + time.Hour)
	running := model.Campaign{State: model.CampaignRunning}
	p := campaign.Progress{Owners: 48000, OwnersNotified: 12400, NextNoticeAt: &next}
	if got := progressLine(context.Background(), running, p, now); got != "12,400 of 48,000 owners notified, next notice in 3 days" {
		t.Fatalf("line %q", got)
	}
	soon := now.Add(90 * time.Second)
	p.NextNoticeAt = &soon
	if got := progressLine(context.Background(), running, p, now); got != "12,400 of 48,000 owners notified, next notice in 2 minutes" {
		t.Fatalf("line %q", got)
	}
	if got := progressLine(context.Background(), model.Campaign{State: model.CampaignPaused}, p, now); got != "12,400 of 48,000 owners notified; paused, so no notice goes out until it resumes" {
		t.Fatalf("paused %q", got)
	}
	if got := campaign.FormatOffset(-336 * time.Hour); got != "-14d" {
		t.Fatalf("offset %q", got)
	}
}
