package api

import (
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/language"

	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/web/render"
)

type ownerJSON struct {
	HostUserID string `json:"host_user_id"`
	Email      string `json:"email"`
	Name       string `json:"name"`
	Locale     string `json:"locale"`
	TimeZone   string `json:"time_zone"`
}

func ownerOut(o model.Owner) ownerJSON {
	return ownerJSON{HostUserID: o.HostUserID, Email: o.Email, Name: o.Name, Locale: o.Locale, TimeZone: o.TimeZone}
}

// OwnerPut creates or updates an owner.
func (h *Handler) OwnerPut(c echo.Context) error {
	id := c.Param("host_user_id")
	if err := pathID("host_user_id", id); err != nil {
		return err
	}
	var in ownerJSON
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != strings.TrimSpace(in.Email) {
			return render.FieldError("email", "must be a plain email address such as owner@example.com")
		}
	}
	if in.Locale != "" {
		if _, err := language.Parse(in.Locale); err != nil {
			return render.FieldError("locale", "must be a language tag such as en, de-AT or fr")
		}
	}
	if in.TimeZone != "" {
		if _, err := time.LoadLocation(in.TimeZone); err != nil || in.TimeZone == "Local" {
			return render.FieldError("time_zone", "must be an IANA time zone such as Europe/Berlin")
		}
	}
	o, err := h.Store.UpsertOwner(c.Request().Context(), store.OwnerInput{HostUserID: id, Email: in.Email, Name: in.Name, Locale: in.Locale, TimeZone: in.TimeZone})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ownerOut(o))
}
