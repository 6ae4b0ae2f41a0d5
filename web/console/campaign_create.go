package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/internal/audit"
	"reconnect/internal/campaign"
	"reconnect/internal/i18n"
	"reconnect/internal/model"
	"reconnect/internal/store"
	consoleviews "reconnect/views/console"
	"reconnect/web/paths"
	"reconnect/web/render"
)

// CampaignCreate takes the form: "Preview the cohort" counts who the rules
// reach and shows the form again, saving nothing; "Save as draft" saves it
// (audited) and opens its page. Bad input answers 422 with the form and
// each field's error.
func (con *Handler) CampaignCreate(c echo.Context) error {
	if con.Campaigns == nil {
		return echo.ErrNotFound
	}
	ctx := c.Request().Context()
	f := readCampaignForm(c)
	in, errs := campaignInput(ctx, f)
	if len(errs) > 0 {
		return render.HTML(c, http.StatusUnprocessableEntity, consoleviews.CampaignNew(con.campaignFormView(c, f, errs)))
	}
	if c.FormValue("intent") == "preview" {
		co, err := con.Campaigns.PreviewInput(ctx, in)
		if err != nil {
			return con.campaignFormError(c, f, err)
		}
		offsets := in.NoticeOffsets
		if offsets == nil {
			offsets = campaign.DefaultNoticeOffsets
		}
		v := con.campaignFormView(c, f, nil)
		preview := cohortView(ctx, co, in.CutoverAt, offsets, con.Store.Now(), false)
		preview.Warnings = append(preview.Warnings, con.rateWarnings(ctx, co.Owners, in.CutoverAt, offsets, in.FirstWave, in.WaveHold)...)
		v.Preview = &preview
		return render.HTML(c, http.StatusOK, consoleviews.CampaignNew(v))
	}
	cur, _ := currentStaff(c)
	camp, err := con.Campaigns.Recorded(ctx, func(s *campaign.Service) (model.Campaign, error) { return s.Create(ctx, in) },
		func(tx *store.Store, camp model.Campaign) error {
			return con.Audit.Record(ctx, tx, audit.Entry{Actor: con.actor(c, cur), Action: model.AuditCampaignCreated, Detail: campaignDetail(camp)})
		})
	if err != nil {
		return con.campaignFormError(c, f, err)
	}
	con.flash(c, noticeDraftSaved, 0)
	return c.Redirect(http.StatusSeeOther, paths.ConsoleCampaign(camp.ID, nil))
}

// campaignFormError shows the service's refusal of one field on that
// field; anything else is an error.
func (con *Handler) campaignFormError(c echo.Context, f consoleviews.CampaignForm, err error) error {
	var fe *campaign.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	field, msg := formField(fe.Field, fe.Message)
	if fe.Field == campaign.IdempotencyKeyField {
		msg = i18n.T(c.Request().Context(), "console.campaign_new.err_used")
	}
	return render.HTML(c, http.StatusUnprocessableEntity, consoleviews.CampaignNew(con.campaignFormView(c, f, consoleviews.FieldErrors{field: msg})))
}

// campaignDetail names a campaign in the audit log.
func campaignDetail(c model.Campaign) string {
	return fmt.Sprintf("campaign #%d %q (%s)", c.ID, c.Name, c.Make)
}

var indexed = regexp.MustCompile(`^([a-z_]+)\[(\d+)\]$`)

// formField maps the service's field names ("countries[1]",
// "custom_message.de", "notice_offsets[2]") to the form's, saying which
// entry of a list is wrong.
func formField(field, msg string) (string, string) {
	if m := indexed.FindStringSubmatch(field); m != nil {
		n, _ := strconv.Atoi(m[2])
		return m[1], fmt.Sprintf("Entry %d %s.", n+1, msg)
	}
	switch {
	case field == "custom_message":
		return "custom_message_en", capitalise(msg) + "."
	case strings.HasPrefix(field, "custom_message."):
		return "custom_message_" + strings.TrimPrefix(field, "custom_message."), capitalise(msg) + "."
	case field == campaign.IdempotencyKeyField:
		return "name", "This form was already used for another campaign. Open a new form."
	}
	return field, capitalise(msg) + "."
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// readCampaignForm reads the form as typed.
func readCampaignForm(c echo.Context) consoleviews.CampaignForm {
	f := consoleviews.CampaignForm{
		Name: c.FormValue("name"), Make: c.FormValue("make"), Models: c.FormValue("models"),
		YearFrom: c.FormValue("year_from"), YearTo: c.FormValue("year_to"), Countries: c.FormValue("countries"),
		VehicleIDs: c.FormValue("vehicle_ids"), Reason: c.FormValue("reason"), Cutover: c.FormValue("cutover_at"),
		Breaks: c.FormValue("breaks_connections") == "yes", Flow: c.FormValue("repair_flow"), Offsets: c.FormValue("notice_offsets"),
		FirstWave: c.FormValue("first_wave"), WaveHold: c.FormValue("wave_hold"), IdempotencyKey: c.FormValue("idempotency_key"),
		Messages: map[string]string{},
	}
	for _, l := range i18n.Supported {
		f.Messages[l.Tag] = c.FormValue("custom_message_" + l.Tag)
	}
	return f
}

// campaignInput turns the form into the service's input. Only the form's
// own syntax is checked here (numbers, times, durations), every error at
// once; the rules are the service's.
func campaignInput(ctx context.Context, f consoleviews.CampaignForm) (campaign.Input, consoleviews.FieldErrors) {
	errs := consoleviews.FieldErrors{}
	breaks := f.Breaks
	in := campaign.Input{
		Name: f.Name, Make: strings.ToUpper(strings.TrimSpace(f.Make)), Models: splitList(f.Models, false),
		Countries: splitList(strings.ToUpper(f.Countries), false), VehicleIDs: splitList(f.VehicleIDs, true),
		Reason: model.CampaignReason(f.Reason), RepairFlow: model.RepairFlow(f.Flow), BreaksConnections: &breaks,
		IdempotencyKey: f.IdempotencyKey,
	}
	for tag, msg := range f.Messages {
		if strings.TrimSpace(msg) == "" {
			continue
		}
		if in.CustomMessage == nil {
			in.CustomMessage = map[string]string{}
		}
		in.CustomMessage[tag] = strings.TrimSpace(msg)
	}
	year := func(field, s string) int {
		if s = strings.TrimSpace(s); s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			errs[field] = i18n.T(ctx, "console.campaign_new.err_year")
		}
		return n
	}
	in.YearFrom, in.YearTo = year("year_from", f.YearFrom), year("year_to", f.YearTo)
	if s := strings.TrimSpace(f.Cutover); s != "" {
		t, err := time.Parse(formTime, s)
		if err != nil {
			errs["cutover_at"] = i18n.T(ctx, "console.campaign_new.err_cutover")
		}
		in.CutoverAt = t
	}
	if s := strings.TrimSpace(f.Offsets); s != "" {
		for i, part := range splitList(s, false) {
			d, err := parseOffset(part)
			if err != nil {
				errs["notice_offsets"] = i18n.T(ctx, "console.campaign_new.err_offset", map[string]any{"N": i + 1, "Entry": part})
				break
			}
			in.NoticeOffsets = append(in.NoticeOffsets, d)
		}
	}
	if s := strings.TrimSpace(f.FirstWave); s != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(s, "%"))
		if err != nil {
			errs["first_wave"] = i18n.T(ctx, "console.campaign_new.err_first_wave")
		}
		in.FirstWave = n
	}
	if s := strings.TrimSpace(f.WaveHold); s != "" {
		d, err := parseOffset(s)
		if err != nil || d < 0 {
			errs["wave_hold"] = i18n.T(ctx, "console.campaign_new.err_wave_hold")
		}
		in.WaveHold = d
	}
	return in, errs
}

// splitList splits on commas and line breaks (and on any white space when
// words is set: ids and VINs hold none), dropping empty entries; nil when
// there are none.
func splitList(s string, words bool) []string {
	sep := func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ';' }
	if words {
		sep = func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r' }
	}
	var out []string
	for _, p := range strings.FieldsFunc(s, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseOffset reads "-14d", "+3d", "-2h", "90m", "0": days are whole days;
// anything else is a Go duration.
func parseOffset(s string) (time.Duration, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "+")
	if s == "0" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, err
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}
