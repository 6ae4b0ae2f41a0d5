package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/internal/audit"
	"reconnect/internal/campaign"
	"reconnect/internal/i18n"
	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/internal/vehicletext"
	consoleviews "reconnect/views/console"
	"reconnect/web/paths"
	"reconnect/web/render"
)

// Sending is how fast mail may leave and the waves a campaign gets when
// it names none (CAMPAIGN_RATE, EMAIL_RATE, CAMPAIGN_FIRST_WAVE,
// CAMPAIGN_WAVE_HOLD), and the owner's minimum interval between emails:
// the create form's hints and warnings, and the follow-up's explanation.
type Sending struct {
	CampaignRate, EmailRate int
	FirstWave               int
	WaveHold                time.Duration
	MinInterval             time.Duration
}

// stuckListed is how many stuck owners the campaign page lists.
const stuckListed = 200

// waveHints explain the form's wave fields with the configured defaults.
func (con *Handler) waveHints(ctx context.Context, v *consoleviews.CampaignFormView) {
	hold := "0"
	if con.Sending.WaveHold > 0 {
		hold = campaign.FormatOffset(con.Sending.WaveHold)[1:]
	}
	first := con.Sending.FirstWave
	if first == 0 {
		first = 100
	}
	v.FirstWaveHint = i18n.T(ctx, "console.waves.first_wave_hint", map[string]any{"Percent": first})
	v.WaveHoldHint = i18n.T(ctx, "console.waves.wave_hold_hint", map[string]any{"Hold": hold})
}

// rateWarnings say which moments of the schedule the sending rates cannot
// keep for a cohort of `owners` (see campaign.Shortfalls); firstWave and
// hold 0 mean the configured defaults.
func (con *Handler) rateWarnings(ctx context.Context, owners int64, cutover time.Time, offsets []time.Duration, firstWave int, hold time.Duration) []string {
	if firstWave == 0 {
		firstWave = con.Sending.FirstWave
	}
	if hold == 0 {
		hold = con.Sending.WaveHold
	}
	rate := campaign.Effective(con.Sending.CampaignRate, con.Sending.EmailRate)
	var out []string
	for _, s := range campaign.Shortfalls(owners, cutover, offsets, con.Store.Now(), firstWave, hold, rate) {
		label := i18n.T(ctx, "console.waves.rate_label_step", map[string]any{"Offset": s.Label})
		switch s.Label {
		case "launch":
			label = i18n.T(ctx, "console.waves.rate_label_launch")
		case "later wave":
			label = i18n.T(ctx, "console.waves.rate_label_later")
		}
		out = append(out, i18n.T(ctx, "console.waves.rate_short", map[string]any{
			"Rate": thousands(int64(rate)), "Label": label, "Owners": thousands(s.Owners), "Needs": span(ctx, s.Needs), "Gap": span(ctx, s.Gap)}))
	}
	return out
}

// autoPauseBanner words why a campaign paused itself; nil unless it is
// paused because it did. url links the campaign (on the list); admins get
// the way to resume it.
func autoPauseBanner(ctx context.Context, c model.Campaign, url string, admin bool) *consoleviews.AutoPauseBanner {
	if !c.AutoPaused() {
		return nil
	}
	var h store.WaveHealth
	_ = json.Unmarshal([]byte(c.PauseDetail), &h)
	pct := func(n, of int64) string {
		if of == 0 {
			return "0%"
		}
		return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", 100*float64(n)/float64(of)), "0"), ".") + "%"
	}
	data := map[string]any{"Wave": h.Wave, "Emails": thousands(h.Emails), "Attempts": thousands(h.ConnectAttempts)}
	switch c.PauseReason {
	case model.PauseComplaints:
		data["Count"], data["Percent"] = thousands(h.Complaints), pct(h.Complaints, h.Emails)
	case model.PauseConnectErrors:
		data["Count"], data["Percent"] = thousands(h.ConnectErrors), pct(h.ConnectErrors, h.ConnectAttempts)
	default:
		data["Count"], data["Percent"] = thousands(h.Failed+h.Bounced), pct(h.Failed+h.Bounced, h.Emails)
	}
	b := &consoleviews.AutoPauseBanner{
		Title:  i18n.T(ctx, "console.waves.banner_title", map[string]any{"Name": c.Name}),
		URL:    url,
		Reason: i18n.T(ctx, "console.waves.reason_"+string(c.PauseReason), data),
		Next:   i18n.T(ctx, "console.waves.banner_next"),
	}
	if admin {
		b.ResumeURL, b.ResumeLabel = paths.ConsoleCampaignMove(c.ID, "resume"), i18n.T(ctx, "console.waves.resume")
	}
	return b
}

// followUpView is the campaign page's follow-up: the action for admins
// while it runs, and the owners who started and did not finish.
func (con *Handler) followUpView(ctx context.Context, c model.Campaign, admin bool) (*consoleviews.FollowUpView, error) {
	rows, err := con.Campaigns.Stuck(ctx, c.ID, stuckListed+1)
	if err != nil {
		return nil, err
	}
	f := &consoleviews.FollowUpView{
		Heading: i18n.T(ctx, "console.waves.follow_up_heading"), Intro: i18n.T(ctx, "console.waves.stuck_intro"),
		Empty: i18n.T(ctx, "console.waves.stuck_empty"),
	}
	for _, id := range []string{"console.waves.col_owner", "console.waves.col_phone", "console.waves.col_email",
		"console.waves.col_vehicle", "console.waves.col_since", "console.waves.col_error"} {
		f.Columns = append(f.Columns, i18n.T(ctx, id))
	}
	if admin && c.State == model.CampaignRunning {
		f.URL, f.Label, f.Hint = paths.ConsoleCampaignMove(c.ID, "follow-up"), i18n.T(ctx, "console.waves.follow_up_button"), i18n.T(ctx, "console.waves.follow_up_hint")
	}
	if len(rows) > stuckListed {
		rows = rows[:stuckListed]
		f.More = i18n.T(ctx, "console.waves.stuck_more", map[string]any{"Count": stuckListed})
	}
	for _, r := range rows {
		row := consoleviews.StuckRow{Owner: r.Name, Email: r.Email, Phone: r.Phone, VIN: r.VIN,
			Vehicle: vehicletext.Title(model.Vehicle{Make: r.Make, Model: r.Model, Year: r.Year}),
			Since:   r.StartedAt.UTC().Format("2006-01-02 15:04") + " UTC", Error: r.FailedError}
		if row.Owner == "" {
			row.Owner = r.HostUserID
		}
		if r.OwnerID != nil {
			row.OwnerURL = paths.ConsoleOwner(*r.OwnerID)
		}
		if row.Phone == "" {
			row.Phone = i18n.T(ctx, "console.waves.no_phone")
		} else {
			row.PhoneURL = "tel:" + r.Phone
		}
		if row.Error == "" {
			row.Error = i18n.T(ctx, "console.waves.no_error")
		}
		f.Rows = append(f.Rows, row)
	}
	return f, nil
}

// followUpConfirm is the confirmation around the follow-up, with an error
// when there is one.
func (con *Handler) followUpConfirm(c echo.Context, camp model.Campaign, status int, msg string) error {
	ctx := c.Request().Context()
	v := consoleviews.ConfirmView{Chrome: con.chrome(c, i18n.T(ctx, "console.waves.follow_up_confirm_heading"), "campaigns"), Name: camp.Name,
		Heading: i18n.T(ctx, "console.waves.follow_up_confirm_heading"),
		Explain: []string{i18n.T(ctx, "console.waves.follow_up_explain"),
			i18n.T(ctx, "console.waves.follow_up_explain_cap", map[string]any{"Interval": span(ctx, con.Sending.MinInterval)})},
		Action: paths.ConsoleCampaignMove(camp.ID, "follow-up"), Button: i18n.T(ctx, "console.waves.follow_up_confirm_button"), Tone: "",
		Back: paths.ConsoleCampaign(camp.ID, nil), Error: msg}
	return render.HTML(c, status, consoleviews.CampaignConfirm(v))
}

// CampaignFollowUpConfirm asks an admin to confirm the follow-up.
func (con *Handler) CampaignFollowUpConfirm(c echo.Context) error {
	camp, err := con.campaignParam(c)
	if err != nil {
		return err
	}
	if camp.State != model.CampaignRunning {
		return con.followUpConfirm(c, camp, http.StatusConflict, i18n.T(c.Request().Context(), "console.waves.follow_up_not_running"))
	}
	return con.followUpConfirm(c, camp, http.StatusOK, "")
}

// CampaignFollowUp gives every owner still to finish one more notice now,
// once the checkbox is ticked, with the audit entry (how many owners) in
// the same transaction.
func (con *Handler) CampaignFollowUp(c echo.Context) error {
	camp, err := con.campaignParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if c.FormValue("confirm") != "yes" {
		return con.followUpConfirm(c, camp, http.StatusUnprocessableEntity, "Tick the box to confirm: nothing has changed yet.")
	}
	cur, _ := currentStaff(c)
	var owners int64
	_, err = con.Campaigns.Recorded(ctx, func(s *campaign.Service) (model.Campaign, error) {
		c, n, err := s.FollowUp(ctx, camp.ID)
		owners = n
		return c, err
	}, func(tx *store.Store, after model.Campaign) error {
		return con.Audit.Record(ctx, tx, audit.Entry{Actor: con.actor(c, cur), Action: model.AuditCampaignFollowUp,
			Detail: fmt.Sprintf("%s: %d owners", campaignDetail(after), owners)})
	})
	if errors.Is(err, campaign.ErrTransition) {
		return con.followUpConfirm(c, camp, http.StatusConflict, i18n.T(ctx, "console.waves.follow_up_not_running"))
	}
	if err != nil {
		return err
	}
	con.flash(c, noticeFollowUpSent, 0)
	return c.Redirect(http.StatusSeeOther, paths.ConsoleCampaign(camp.ID, nil))
}
