package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"reconnect/internal/model"
	"reconnect/internal/notify"
	"reconnect/web/render"
)

// maxMailReports bounds one batch of reports.
const maxMailReports = 500

type mailReportJSON struct {
	MessageID string           `json:"message_id"`
	Kind      model.MailReport `json:"kind"`
	Permanent bool             `json:"permanent"`
}

type mailReportOut struct {
	MessageID string           `json:"message_id"`
	Kind      model.MailReport `json:"kind"`
	// Recorded is false for a report that was already recorded.
	Recorded     bool `json:"recorded"`
	Unsubscribed bool `json:"unsubscribed,omitempty"`
}

var errMailReportsOff = &render.APIError{Status: http.StatusServiceUnavailable, Code: "email_off", Message: "email is not running on this instance"}

// EmailEvents records bounces and complaints from the host's mail
// provider: one report as an object, or several as an array (at most
// 500). Each names the email by the Message-ID we sent it with. A repeat
// is answered like the first with recorded false, and changes nothing, so
// a batch may be sent again whole. An unknown Message-ID is 404; in a
// batch the reports before it are recorded and the answer names it by its
// index.
func (h *Handler) EmailEvents(c echo.Context) error {
	if h.MailReports == nil {
		return errMailReportsOff
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return render.ErrUnreadableBody
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	batch := len(trimmed) > 0 && trimmed[0] == '['
	items := []json.RawMessage{body}
	if batch {
		if err := json.Unmarshal(body, &items); err != nil {
			return &render.APIError{Status: http.StatusBadRequest, Code: "malformed_json", Message: "the body is not valid JSON: " + err.Error()}
		}
		if len(items) == 0 || len(items) > maxMailReports {
			return render.FieldError("body", fmt.Sprintf("must hold 1 to %d reports", maxMailReports))
		}
	}
	in := make([]mailReportJSON, len(items))
	for i, item := range items {
		// Each report is bound as a body of its own, with the same strict
		// checks; in a batch the field is named by its index.
		c.Request().Body = io.NopCloser(bytes.NewReader(item))
		if err := bindJSON(c, &in[i]); err != nil {
			var ae *render.APIError
			if batch && errors.As(err, &ae) && ae.Field != "" {
				ae.Field = fmt.Sprintf("[%d].%s", i, ae.Field)
			}
			return err
		}
	}
	for i, r := range in {
		field := func(f string) string {
			if batch {
				return fmt.Sprintf("[%d].%s", i, f)
			}
			return f
		}
		if r.MessageID == "" {
			return render.FieldError(field("message_id"), "is required: the Message-ID of the email we sent")
		}
		if !slices.Contains(model.MailReports, r.Kind) {
			return render.FieldError(field("kind"), `must be "bounce" or "complaint"`)
		}
	}
	out := make([]mailReportOut, 0, len(in))
	for i, r := range in {
		res, err := h.MailReports.Report(c.Request().Context(), notify.MailReport{MessageID: r.MessageID, Kind: r.Kind, Permanent: r.Permanent})
		if errors.Is(err, notify.ErrUnknownMessage) {
			msg := "no email we sent has this Message-ID"
			if batch {
				msg = fmt.Sprintf("report %d: %s; the reports before it were recorded, the ones after it were not", i, msg)
			}
			return &render.APIError{Status: http.StatusNotFound, Code: "unknown_message_id", Field: "message_id", Message: msg}
		}
		if err != nil {
			return err
		}
		out = append(out, mailReportOut{MessageID: res.Email.MessageID, Kind: r.Kind, Recorded: res.New, Unsubscribed: res.Unsubscribed})
	}
	if !batch {
		return c.JSON(http.StatusOK, out[0])
	}
	return c.JSON(http.StatusOK, map[string]any{"reports": out})
}
