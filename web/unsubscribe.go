package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/views/unsubscribe"
)

// Unsubscriber turns reconnect emails off for the owner of an unsubscribe
// token; it is idempotent, and first is true for the call that did it.
type Unsubscriber interface {
	Unsubscribe(ctx context.Context, token, via string) (o model.Owner, first bool, err error)
}

// unsubscribePage says what unsubscribing means and offers one button. A
// GET changes nothing: mail scanners fetch every link in a message.
func (s *Server) unsubscribePage(c echo.Context) error {
	o, err := s.store.OwnerByUnsubscribeToken(c.Request().Context(), c.Param("token"))
	if errors.Is(err, store.ErrNotFound) {
		return s.renderUnsubscribeInvalid(c)
	}
	if err != nil {
		return err
	}
	s.localizeFor(c, o)
	if o.UnsubscribedAt != nil {
		return s.renderUnsubscribed(c)
	}
	data := map[string]any{"App": s.cfg.AppName}
	v := unsubscribe.View{Page: s.page(c, t(c, "unsub.title")), Heading: t(c, "unsub.title"), Body: t(c, "unsub.body", data),
		Action: "/unsubscribe/" + c.Param("token"), Button: t(c, "unsub.button")}
	v.Path = "/" // the language switcher must not carry the token
	return render(c, http.StatusOK, unsubscribe.Page(v))
}

// unsubscribeSubmit serves the page's button and the RFC 8058 one-click
// POST (body "List-Unsubscribe=One-Click") alike.
func (s *Server) unsubscribeSubmit(c echo.Context) error {
	if s.unsubscriber == nil {
		return echo.ErrNotFound
	}
	via := "page"
	if c.FormValue("List-Unsubscribe") == "One-Click" {
		via = "one-click"
	}
	o, _, err := s.unsubscriber.Unsubscribe(c.Request().Context(), c.Param("token"), via)
	if errors.Is(err, store.ErrNotFound) {
		return s.renderUnsubscribeInvalid(c)
	}
	if err != nil {
		return err
	}
	s.localizeFor(c, o)
	return s.renderUnsubscribed(c)
}

func (s *Server) renderUnsubscribed(c echo.Context) error {
	v := unsubscribe.View{Page: s.page(c, t(c, "unsub.done_title")), Heading: t(c, "unsub.done_title"), Body: t(c, "unsub.done_body"), Done: true}
	v.Path = "/"
	return render(c, http.StatusOK, unsubscribe.Page(v))
}

func (s *Server) renderUnsubscribeInvalid(c echo.Context) error {
	v := unsubscribe.View{Page: s.page(c, t(c, "unsub.invalid_title")), Heading: t(c, "unsub.invalid_title"), Body: t(c, "unsub.invalid_body")}
	v.Path = "/"
	return render(c, http.StatusNotFound, unsubscribe.Page(v))
}
