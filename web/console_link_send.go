package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/internal/audit"
	"reconnect/internal/links"
	"reconnect/internal/model"
	"reconnect/internal/store"
	consoleviews "reconnect/views/console"
)

// UseLinkMailer replaces the mailer the console and the expired-link page
// send fresh links with (tests record what would be sent).
func (s *Server) UseLinkMailer(m LinkMailer) { s.linkMailer = m }

// linkSend emails the owner a fresh link. The timeline, the audit log and
// the email are written in one transaction, so each exists only with the others.
func (con *console) linkSend(c echo.Context) error {
	o, err := con.ownerParam(c)
	if err != nil {
		return err
	}
	back := ownerConsoleURL(o.ID)
	switch {
	case con.linkMailer == nil:
		con.flash(c, "warn", "Email is not configured, so no link was emailed. Show a link instead and read it out or paste it to the owner.")
		return c.Redirect(http.StatusSeeOther, back)
	case o.Email == "":
		con.flash(c, "warn", "This owner has no email address on file. Show a link instead.")
		return c.Redirect(http.StatusSeeOther, back)
	}
	ctx := c.Request().Context()
	cur, _ := currentStaff(c)
	err = con.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.AddEvent(ctx, model.Event{OwnerID: &o.ID, Kind: model.EventFreshLinkRequested, Source: model.SourceStaff}); err != nil {
			return err
		}
		if err := con.linkMailer.SendFreshLink(ctx, tx, o, nil, model.SourceStaff); err != nil {
			return err
		}
		return con.audit.Record(ctx, tx, audit.Entry{Actor: con.actor(c, cur), Owner: &o, Action: model.AuditLinkEmailed, Detail: "to " + o.Email})
	})
	if err != nil {
		return err
	}
	con.flash(c, "ok", "A fresh link is on its way to "+o.Email+".")
	return c.Redirect(http.StatusSeeOther, back)
}

// linkShow makes a fresh link and shows it this once, to read out or paste.
// Only its hash is stored, so it cannot be shown again.
func (con *console) linkShow(c echo.Context) error {
	o, err := con.ownerParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cur, _ := currentStaff(c)
	var m links.Minted
	err = con.store.Tx(ctx, func(tx *store.Store) error {
		var err error
		m, err = con.links.Mint(ctx, tx, links.Mint{OwnerID: o.ID, Purpose: model.PurposeEmail, Source: model.SourceStaff, SourceRef: cur.Staff.Email})
		if err != nil {
			return err
		}
		return con.audit.Record(ctx, tx, audit.Entry{Actor: con.actor(c, cur), Owner: &o, Action: model.AuditLinkShown,
			Detail: "link #" + strconvFormat(m.Link.ID) + ", expires " + m.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC")})
	})
	if err != nil {
		return err
	}
	v, err := con.ownerView(c, o)
	if err != nil {
		return err
	}
	v.Shown = &consoleviews.ShownLink{URL: m.URL, Expires: m.ExpiresAt}
	return render(c, http.StatusOK, consoleviews.Owner(v))
}
