package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"reconnect/web/render"

	"github.com/labstack/echo/v4"
)

// bindJSON decodes a JSON body strictly: unknown fields are an error, so a
// typo in a field name is reported instead of silently ignored.
func bindJSON(c echo.Context, dst any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return render.FieldError(ute.Field, "has the wrong type")
		}
		if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
			return render.FieldError(strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`), "is not a known field")
		}
		return &render.APIError{Status: http.StatusBadRequest, Code: "malformed_json", Message: "the body is not valid JSON: " + err.Error()}
	}
	return nil
}
