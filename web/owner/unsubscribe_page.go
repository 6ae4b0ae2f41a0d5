package owner

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/internal/store"
	"reconnect/views/unsubscribe"
	"reconnect/web/paths"
	"reconnect/web/render"
)

// UnsubscribePage says what unsubscribing means and offers one button. A
// GET changes nothing: mail scanners fetch every link in a message.
func (h *Handler) UnsubscribePage(c echo.Context) error {
	o, err := h.Store.OwnerByUnsubscribeToken(c.Request().Context(), c.Param("token"))
	if errors.Is(err, store.ErrNotFound) {
		return h.renderUnsubscribeInvalid(c)
	}
	if err != nil {
		return err
	}
	h.Viewer.LocalizeFor(c, o)
	if o.UnsubscribedAt != nil {
		return h.renderUnsubscribed(c)
	}
	data := map[string]any{"App": h.AppName}
	v := unsubscribe.View{Page: h.layout(c, render.T(c, "unsub.title")), Heading: render.T(c, "unsub.title"), Body: render.T(c, "unsub.body", data),
		Action: paths.Unsubscribe(c.Param("token")), Button: render.T(c, "unsub.button")}
	v.Path = c.Request().URL.Path // the switcher reloads this page; a GET unsubscribes nobody
	return render.HTML(c, http.StatusOK, unsubscribe.Page(v))
}

func (h *Handler) renderUnsubscribed(c echo.Context) error {
	v := unsubscribe.View{Page: h.layout(c, render.T(c, "unsub.done_title")), Heading: render.T(c, "unsub.done_title"), Body: render.T(c, "unsub.done_body"), Done: true}
	v.Path = paths.Home()
	return render.HTML(c, http.StatusOK, unsubscribe.Page(v))
}

func (h *Handler) renderUnsubscribeInvalid(c echo.Context) error {
	v := unsubscribe.View{Page: h.layout(c, render.T(c, "unsub.invalid_title")), Heading: render.T(c, "unsub.invalid_title"), Body: render.T(c, "unsub.invalid_body")}
	v.Path = paths.Home()
	return render.HTML(c, http.StatusNotFound, unsubscribe.Page(v))
}
