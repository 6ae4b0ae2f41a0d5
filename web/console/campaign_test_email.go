package console

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/internal/audit"
	"reconnect/internal/mail"
	"reconnect/internal/model"
	"reconnect/web/paths"
)

// CampaignTestEmail emails the notice preview to the staff member who
// asks, and only to them, so wording can be read in a real mail client
// before owners get it. Audited; refused with a notice while email is off.
func (con *Handler) CampaignTestEmail(c echo.Context) error {
	camp, err := con.campaignParam(c)
	if err != nil {
		return err
	}
	back := paths.ConsoleCampaignNotices(camp.ID)
	if con.Mail == nil {
		con.flash(c, noticeTestEmailOff, 0)
		return c.Redirect(http.StatusSeeOther, back)
	}
	ctx := c.Request().Context()
	cur, _ := currentStaff(c)
	text, htmlBody := noticePreviewEmail(camp)
	msg := mail.Message{To: cur.Staff.Email, ToName: cur.Staff.Name, Subject: "[Test] " + camp.Name + ": notice preview",
		Text: text, HTML: htmlBody, Date: con.Store.Now()}
	if err := con.Mail.Send(ctx, msg); err != nil {
		con.Log.Warn("console: campaign test email failed", "campaign", camp.ID, "staff", cur.Staff.Email, "err", err)
		con.flash(c, noticeTestEmailRefused, 0)
		return c.Redirect(http.StatusSeeOther, back)
	}
	// Recorded after the send: the email is the action, and a test that
	// failed is not one staff sent.
	if err := con.Audit.Record(ctx, nil, audit.Entry{Actor: con.actor(c, cur), Action: model.AuditCampaignTestSent,
		Detail: campaignDetail(camp) + " to " + cur.Staff.Email}); err != nil {
		return err
	}
	con.flash(c, noticeTestEmailSent, 0)
	return c.Redirect(http.StatusSeeOther, back)
}

// noticePreviewEmail is the preview page as an email, plain and HTML.
func noticePreviewEmail(c model.Campaign) (string, string) {
	var t, h strings.Builder
	fmt.Fprintf(&t, "This is a test of the notices of the campaign %q. No owner received it.\n", c.Name)
	fmt.Fprintf(&h, "<p>This is a test of the notices of the campaign <strong>%s</strong>. No owner received it.</p>\n", html.EscapeString(c.Name))
	// The test email is in English, as the notices' preview email always was.
	for _, s := range noticeSteps(context.Background(), c) {
		fmt.Fprintf(&t, "\n%s (due %s)\n", s.Label, when(s.Due))
		fmt.Fprintf(&h, "<h2>%s</h2>\n<p>Due %s</p>\n<dl>\n", html.EscapeString(s.Label), html.EscapeString(when(s.Due)))
		for _, l := range s.Languages {
			note := ""
			if l.Note != "" {
				note = " (" + l.Note + ")"
			}
			fmt.Fprintf(&t, "  %s: %s%s\n", l.Name, l.Text, note)
			fmt.Fprintf(&h, "<dt lang=\"%s\">%s</dt><dd lang=\"%s\">%s%s</dd>\n", l.Tag, html.EscapeString(l.Name), l.TextLang,
				html.EscapeString(l.Text), html.EscapeString(note))
		}
		h.WriteString("</dl>\n")
	}
	return t.String(), h.String()
}

// when writes a moment in an email as the console's pages do.
func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }
