package console

import (
	"context"
	"crypto/rand"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/internal/campaign"
	"reconnect/internal/i18n"
	"reconnect/internal/model"
	consoleviews "reconnect/views/console"
	"reconnect/web/paths"
	"reconnect/web/render"
)

// CampaignNew is the form that defines a campaign, filled with the
// service's defaults.
func (con *Handler) CampaignNew(c echo.Context) error {
	if con.Campaigns == nil {
		return echo.ErrNotFound
	}
	offsets := make([]string, len(campaign.DefaultNoticeOffsets))
	for i, d := range campaign.DefaultNoticeOffsets {
		offsets[i] = campaign.FormatOffset(d)
	}
	f := consoleviews.CampaignForm{
		Reason: string(model.ReasonNewPlatform), Flow: string(model.FlowReauthenticate), Breaks: true,
		Offsets: strings.Join(offsets, ", "), IdempotencyKey: rand.Text(),
	}
	if err := con.prefillFromAlert(c, &f); err != nil {
		return err
	}
	return render.HTML(c, http.StatusOK, consoleviews.CampaignNew(con.campaignFormView(c, f, nil)))
}

// campaignFormView is the form around f, with its errors.
func (con *Handler) campaignFormView(c echo.Context, f consoleviews.CampaignForm, errs consoleviews.FieldErrors) consoleviews.CampaignFormView {
	v := consoleviews.CampaignFormView{Chrome: con.chrome(c, i18n.T(c.Request().Context(), "console.campaigns.new"), "campaigns"), Form: f, Errors: errs,
		Action: paths.ConsoleCampaigns(nil)}
	for _, r := range model.CampaignReasons {
		v.Reasons = append(v.Reasons, consoleviews.Option{Value: string(r), Label: reasonLabel(c.Request().Context(), r), Selected: string(r) == f.Reason})
	}
	for _, fl := range model.RepairFlows {
		v.Flows = append(v.Flows, consoleviews.Option{Value: string(fl), Label: flowLabel(c.Request().Context(), fl), Selected: string(fl) == f.Flow})
	}
	for _, l := range i18n.Supported {
		v.Languages = append(v.Languages, consoleviews.LanguageField{Tag: l.Tag, Name: languageName(c.Request().Context(), l.Tag)})
	}
	con.waveHints(c.Request().Context(), &v)
	return v
}

// languageName names a language in the request's language ("German",
// "Deutsch", "allemand"); a tag without a message shows as it is.
func languageName(ctx context.Context, tag string) string {
	return tOr(ctx, "console.language_"+tag, tag)
}

// formTime is how the form reads and writes a cut-over: minutes, UTC.
const formTime = "2006-01-02 15:04"

func formatFormTime(t time.Time) string { return t.UTC().Format(formTime) }
