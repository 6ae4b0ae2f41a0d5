package api

import (
	"net/http"
	"net/mail"
	"regexp"
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
	// Phone is E.164, for support to call; empty or absent: none.
	Phone string `json:"phone"`
}

// e164 is an international phone number: "+", a country code that does
// not start with 0, and at most 15 digits in all (ITU-T E.164).
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

func ownerOut(o model.Owner) ownerJSON {
	return ownerJSON{HostUserID: o.HostUserID, Email: o.Email, Name: o.Name, Locale: o.Locale, TimeZone: o.TimeZone, Phone: o.Phone}
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
	if in.Phone = strings.TrimSpace(in.Phone); in.Phone != "" && !e164.MatchString(in.Phone) {
		return render.FieldError("phone", "must be an E.164 number: + and the country code, then the number, digits only, such as +4930123456")
	}
	o, err := h.Store.UpsertOwner(c.Request().Context(), store.OwnerInput{HostUserID: id, Email: in.Email, Name: in.Name, Locale: in.Locale, TimeZone: in.TimeZone, Phone: in.Phone})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ownerOut(o))
}
