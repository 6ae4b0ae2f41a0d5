package owner

import (
	"net/http"

	"github.com/labstack/echo/v4"

	ownerviews "reconnect/views/owner"
	"reconnect/web/render"
)

// CodePage asks for the short code support read out over the phone.
func (h *Handler) CodePage(c echo.Context) error {
	return h.renderCode(c, http.StatusOK, "", "")
}

func (h *Handler) renderCode(c echo.Context, status int, typed, errKey string) error {
	v := ownerviews.CodeView{Page: h.layout(c, render.T(c, "code.title")), Code: typed}
	if errKey != "" {
		v.Error = render.T(c, errKey)
	}
	return render.HTML(c, status, ownerviews.Code(v))
}
