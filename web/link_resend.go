package web

import (
	"context"
	"errors"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/views/owner"
)

// linkResend emails a fresh link to the address on file. It answers the same
// whether or not the address is known, so it cannot be used to find owners,
// and it is rate limited per address and per client.
func (s *Server) linkResend(c echo.Context) error {
	email := strings.TrimSpace(c.FormValue("email"))
	v := owner.LinkProblemView{Page: s.page(c, t(c, "link.expired")), Heading: t(c, "link.expired"), Explain: t(c, "link.explain"), Email: email}
	v.Path = "/"
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email {
		v.Error = t(c, "link.bad_email")
		return render(c, http.StatusUnprocessableEntity, owner.LinkProblem(v))
	}
	ctx := c.Request().Context()
	okIP, err := s.store.Hit(ctx, "resend-ip:"+c.RealIP(), 10*time.Minute, 10)
	if err != nil {
		return err
	}
	okAddr, err := s.store.Hit(ctx, "resend-email:"+strings.ToLower(email), time.Hour, 3)
	if err != nil {
		return err
	}
	if !okIP || !okAddr {
		return echo.NewHTTPError(http.StatusTooManyRequests)
	}
	if err := s.requestFreshLink(ctx, strings.ToLower(email)); err != nil {
		return err
	}
	v.Sent = true
	return render(c, http.StatusOK, owner.LinkProblem(v))
}

// requestFreshLink records the request on the owner's timeline and hands it
// to the mailer, when the address belongs to an owner.
func (s *Server) requestFreshLink(ctx context.Context, email string) error {
	o, err := s.store.OwnerByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.AddEvent(ctx, model.Event{OwnerID: &o.ID, Kind: model.EventFreshLinkRequested, Source: model.SourceOwner}); err != nil {
			return err
		}
		if s.linkMailer != nil {
			return s.linkMailer.SendFreshLink(ctx, tx, o, nil, model.SourceResend)
		}
		return nil
	})
}
