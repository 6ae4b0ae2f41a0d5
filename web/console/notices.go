package console

import (
	"context"

	"github.com/labstack/echo/v4"

	"reconnect/internal/i18n"
	"reconnect/internal/model"
)

// notice is a one-time message for the next console page. The staff
// cookie carries only its key and the owner it is about: an owner's name
// or address came from the host and may be any length, and a cookie that
// overflows would turn an action that already committed into a 500.
type notice string

const (
	noticeSessionEnded notice = "session_ended"
	noticeSignedOut    notice = "signed_out"
	noticePasswordSet  notice = "password_set"
	noticeEmailOff     notice = "email_off"
	noticeNoAddress    notice = "no_address"
	noticeLinkSent     notice = "link_sent"
	noticeViewOver     notice = "view_over"
	noticeViewEnded    notice = "view_ended"
	noticeUnlocked     notice = "unlocked"
	noticeDisabled     notice = "disabled"
	noticeEnabled      notice = "enabled"
	noticeNotFailed    notice = "not_failed"
	noticeRetried      notice = "retried"

	noticeDraftSaved        notice = "draft_saved"
	noticeCampaignLaunched  notice = "campaign_launched"
	noticeCampaignPaused    notice = "campaign_paused"
	noticeCampaignResumed   notice = "campaign_resumed"
	noticeCampaignCancelled notice = "campaign_cancelled"
	noticeTestEmailOff      notice = "test_email_off"
	noticeTestEmailRefused  notice = "test_email_refused"
	noticeTestEmailSent     notice = "test_email_sent"
	noticeFollowUpSent      notice = "follow_up_sent"
)

// noticeTexts word each notice when the page is shown; o is the owner it
// is about (the zero owner if none, or if they are gone).
var noticeTexts = map[notice]struct {
	tone string
	text func(con *Handler, o model.Owner) string
}{
	noticeSessionEnded: {"info", fixed("Your console session has ended. Sign in again.")},
	noticeSignedOut:    {"ok", fixed("You are signed out.")},
	noticePasswordSet:  {"ok", fixed("Your password is set. Sign in with it now.")},
	noticeEmailOff:     {"warn", fixed("Email is not configured, so no link was emailed. Show a link instead and read it out or paste it to the owner.")},
	noticeNoAddress:    {"warn", fixed("This owner has no email address on file. Show a link instead.")},
	noticeLinkSent: {"ok", func(_ *Handler, o model.Owner) string {
		if o.Email == "" {
			return "A fresh link is on its way to the owner."
		}
		return "A fresh link is on its way to " + o.Email + "."
	}},
	noticeViewOver: {"info", func(con *Handler, o model.Owner) string {
		return "Your view as " + noticeOwner(o) + " ran out after " + ttlWords(context.Background(), con.Staff.Config().ImpersonationTTL) + " and has ended."
	}},
	noticeViewEnded: {"ok", func(_ *Handler, o model.Owner) string { return "You are no longer viewing as " + noticeOwner(o) + "." }},
	noticeUnlocked:  {"ok", fixed("Unlocked.")},
	noticeDisabled:  {"ok", fixed("Disabled. Their console sessions have ended.")},
	noticeEnabled:   {"ok", fixed("Enabled.")},
	noticeNotFailed: {"info", fixed("That event is no longer failed: it was retried already, or never failed.")},
	noticeRetried:   {"ok", fixed("The event is back in line and will be applied again in a moment.")},

	noticeDraftSaved:        {"ok", fixed("Draft saved. Nobody has been told yet: check the cohort and the notices, then launch it.")},
	noticeCampaignLaunched:  {"ok", fixed("Launched. The cohort is drawn and the first notices go out now.")},
	noticeCampaignPaused:    {"ok", fixed("Paused. No notice goes out until you resume it.")},
	noticeCampaignResumed:   {"ok", fixed("Resumed. Notices go out again.")},
	noticeCampaignCancelled: {"ok", fixed("Cancelled. Its pending notices were withdrawn.")},
	noticeTestEmailOff:      {"warn", fixed("Email is not configured, so no test was sent.")},
	noticeTestEmailRefused:  {"danger", fixed("The mail server refused the test email; the log says why.")},
	noticeTestEmailSent:     {"ok", fixed("A test is on its way to your address.")},
	noticeFollowUpSent:      {"ok", fixed(i18n.T(context.Background(), "console.waves.follow_up_done"))},
}

func fixed(s string) func(*Handler, model.Owner) string {
	return func(*Handler, model.Owner) string { return s }
}

func noticeOwner(o model.Owner) string {
	if o.ID == 0 {
		return "the owner"
	}
	return ownerName(o)
}

// noticeText words a notice from the cookie in the staff member's
// language; an unknown key shows nothing. A notice with a message
// "console.notice.<key>" in the catalogue is said with it (filled with
// the owner's name, address and the view's length); the English text in
// noticeTexts is the fallback for one without.
func (con *Handler) noticeText(c echo.Context, key string, ownerID int64) (tone, msg string) {
	n, ok := noticeTexts[notice(key)]
	if !ok {
		return "", ""
	}
	ctx := c.Request().Context()
	var o model.Owner
	if ownerID > 0 {
		if got, err := con.Store.OwnerByID(ctx, ownerID); err == nil {
			o = got
		}
	}
	id := "console.notice." + key
	if notice(key) == noticeLinkSent && o.Email != "" {
		id = "console.notice.link_sent_to"
	}
	owner := i18n.T(ctx, "console.notice.the_owner")
	if o.ID != 0 {
		owner = ownerName(o)
	}
	data := map[string]any{"Owner": owner, "Email": o.Email, "TTL": ttlWords(ctx, con.Staff.Config().ImpersonationTTL)}
	if text := i18n.T(ctx, id, data); text != id {
		return n.tone, text
	}
	return n.tone, n.text(con, o)
}
