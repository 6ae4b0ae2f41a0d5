package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"reconnect/internal/textcheck"
	"reconnect/web/render"

	"github.com/labstack/echo/v4"
)

// TextLimits is the longest text, in characters, that each JSON field of
// the API takes (by field name; a name means the same in every body).
// bindJSON applies it to every string field it decodes, so a field added
// later without a limit is a 500 in the first test, not unbounded text in
// cookies and emails; web/openapi.json states the same numbers.
var TextLimits = map[string]int{
	"host_user_id": textcheck.HostID, "email": textcheck.Email, "name": textcheck.PersonName,
	"locale": textcheck.Locale, "phone": textcheck.Phone, "time_zone": textcheck.TimeZone,
	"vehicle_id": textcheck.HostID, "make": textcheck.Make, "model": textcheck.Model, "vin": textcheck.VIN,
	"nickname": textcheck.Nickname, "smartcar_user_id": textcheck.SmartcarUserID,
	"state": textcheck.Enum, "reason": textcheck.Enum,
	"purpose": textcheck.Enum, "return_url": textcheck.URL,
	// Campaigns: the lists' and the message's entries each.
	"country": textcheck.Enum, "models": textcheck.Model, "countries": textcheck.Enum, "vehicle_ids": textcheck.HostID,
	"custom_message": textcheck.Reason, "cutover_at": textcheck.Enum, "repair_flow": textcheck.Enum,
	"notice_offsets": textcheck.Enum, "wave_hold": textcheck.Enum,
	// Mail reports.
	"message_id": textcheck.MessageID, "kind": textcheck.Enum,
}

// bindJSON decodes a JSON body strictly: unknown fields are an error, so a
// typo in a field name is reported instead of silently ignored. Every
// string field is then checked (textcheck) against its limit.
func bindJSON(c echo.Context, dst any) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return render.ErrUnreadableBody
	}
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD; refuse
	// it instead, naming the field that holds it.
	if !utf8.Valid(body) {
		return render.FieldError(invalidUTF8Field(body), "must be valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
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
	return checkText(reflect.ValueOf(dst).Elem())
}

// invalidUTF8Field names the top-level field whose value is not valid
// UTF-8 (json.RawMessage keeps the bytes as they came).
func invalidUTF8Field(body []byte) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) == nil {
		for k, v := range fields {
			if !utf8.Valid(v) {
				return k
			}
		}
	}
	return "body"
}

// checkText applies TextLimits to every string field of a decoded body.
// encoding/json turns invalid UTF-8 into U+FFFD, so what is left to find
// is control characters (NUL among them) and length.
func checkText(v reflect.Value) error {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			if err := checkText(v.Field(i)); err != nil {
				return err
			}
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		var texts []string
		fv := v.Field(i)
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			// An optional field (a PATCH): checked when present.
			if fv.IsNil() {
				continue
			}
			fv, ft = fv.Elem(), ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.String:
			texts = []string{fv.String()}
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.String:
			for j := range fv.Len() {
				texts = append(texts, fv.Index(j).String())
			}
		case ft.Kind() == reflect.Map && ft.Elem().Kind() == reflect.String:
			for _, k := range fv.MapKeys() {
				texts = append(texts, k.String(), fv.MapIndex(k).String())
			}
		default:
			continue
		}
		limit, ok := TextLimits[name]
		if !ok {
			return fmt.Errorf("api: JSON field %q has no text limit", name)
		}
		for _, text := range texts {
			if err := textcheck.Line(name, text, limit); err != nil {
				return textError(err)
			}
		}
	}
	return nil
}

// textError turns a textcheck refusal into the API's field error.
func textError(err error) error {
	var te *textcheck.Error
	if errors.As(err, &te) {
		return render.FieldError(te.Field, te.Message)
	}
	return err
}

// pathID checks an id from the path: present, one line, not too long.
func pathID(field, id string) error {
	if id == "" {
		return render.FieldError(field, fmt.Sprintf("must be 1 to %d characters", textcheck.HostID))
	}
	return textError(textcheck.Line(field, id, textcheck.HostID))
}
