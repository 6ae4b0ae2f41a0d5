package console

import (
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
	v := consoleviews.NoticesView{Chrome: con.chrome(c, "Notices of "+camp.Name, "campaigns"), Name: camp.Name,
		CampaignURL: paths.ConsoleCampaign(camp.ID, nil), Reason: reasonLabels[camp.Reason], Steps: noticeSteps(camp),
		EmailReady: con.Mail != nil, TestURL: paths.ConsoleCampaignTestEmail(camp.ID)}
	return render.HTML(c, http.StatusOK, consoleviews.CampaignNotices(v))
}

// noticeSteps is the schedule with each language's text.
func noticeSteps(c model.Campaign) []consoleviews.NoticeStep {
	langs := make([]consoleviews.NoticeLanguage, 0, len(i18n.Supported))
	for _, l := range i18n.Supported {
		nl := consoleviews.NoticeLanguage{Tag: l.Tag, Name: l.Name, Text: c.CustomMessage[l.Tag], TextLang: l.Tag}
		switch {
		case nl.Text != "":
		case c.CustomMessage["en"] != "":
			nl.Text, nl.TextLang, nl.Note = c.CustomMessage["en"], "en", "no "+languageName(l.Tag)+" sentence, so the English one"
		default:
			nl.Text, nl.TextLang, nl.Note = "No sentence of your own: the standard wording only.", "en", ""
		}
		langs = append(langs, nl)
	}
	steps := make([]consoleviews.NoticeStep, len(c.NoticeOffsets))
	for i, off := range c.NoticeOffsets {
		steps[i] = consoleviews.NoticeStep{Label: offsetLabel(off), Due: c.CutoverAt.Add(off), Languages: langs}
	}
	return steps
}
