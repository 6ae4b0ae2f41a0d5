package console

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/internal/i18n"
	"reconnect/internal/model"
	consoleviews "reconnect/views/console"
	"reconnect/web/paths"
	"reconnect/web/render"
)

// CampaignNotices previews the campaign's notices: each step of the
// schedule, when it is due, and what the campaign adds to it in each
// language.
//
// The notice emails themselves (their subject, greeting, the reason in the
// owner's words and a button per car) are composed by the campaign notice
// sender, which this page does not duplicate; it shows the parts staff
// decide here: the timing and their own sentence, language by language,
// with the fallback an owner of that language would get.
func (con *Handler) CampaignNotices(c echo.Context) error {
	camp, err := con.campaignParam(c)
	if err != nil {
		return err
	}
	v := consoleviews.NoticesView{Chrome: con.chrome(c, i18n.T(c.Request().Context(), "console.notices.heading", map[string]any{"Name": camp.Name}), "campaigns"), Name: camp.Name,
		CampaignURL: paths.ConsoleCampaign(camp.ID, nil), Reason: reasonLabel(c.Request().Context(), camp.Reason), Steps: noticeSteps(c.Request().Context(), camp),
		EmailReady: con.Mail != nil, TestURL: paths.ConsoleCampaignTestEmail(camp.ID)}
	return render.HTML(c, http.StatusOK, consoleviews.CampaignNotices(v))
}

// noticeSteps is the schedule with each language's text, described in
// ctx's language.
func noticeSteps(ctx context.Context, c model.Campaign) []consoleviews.NoticeStep {
	langs := make([]consoleviews.NoticeLanguage, 0, len(i18n.Supported))
	for _, l := range i18n.Supported {
		nl := consoleviews.NoticeLanguage{Tag: l.Tag, Name: l.Name, Text: c.CustomMessage[l.Tag], TextLang: l.Tag}
		switch {
		case nl.Text != "":
		case c.CustomMessage["en"] != "":
			nl.Text, nl.TextLang, nl.Note = c.CustomMessage["en"], "en", i18n.T(ctx, "console.notices.fallback", map[string]any{"Language": languageName(ctx, l.Tag)})
		default:
			nl.Text, nl.TextLang, nl.Note = i18n.T(ctx, "console.notices.no_sentence"), i18n.From(ctx).Lang(), ""
		}
		langs = append(langs, nl)
	}
	steps := make([]consoleviews.NoticeStep, len(c.NoticeOffsets))
	for i, off := range c.NoticeOffsets {
		steps[i] = consoleviews.NoticeStep{Label: offsetLabel(ctx, off), Due: c.CutoverAt.Add(off), Languages: langs}
	}
	return steps
}
