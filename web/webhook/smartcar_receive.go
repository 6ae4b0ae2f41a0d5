// Package webhook receives Smartcar's webhook deliveries. Smartcar signs
// them; there is no session, so no CSRF.
package webhook

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/internal/ingest"
	"reconnect/web/render"
)

// Handler holds what the receiver uses, and nothing else.
type Handler struct {
	// Ingest records deliveries; nil when detection is not running on this
	// instance, and deliveries are answered 503.
	Ingest *ingest.Service
}

// SmartcarReceive receives Smartcar's deliveries. It answers 2xx only once
// the event is committed, so anything it could not record is retried by
// Smartcar; everything else happens later, off the request path.
func (h *Handler) SmartcarReceive(c echo.Context) error {
	if h.Ingest == nil {
		return render.ErrDetectionOff
	}
	req := c.Request()
	body, err := render.ReadBody(req, ingest.MaxWebhookBody)
	if errors.Is(err, render.ErrBodyTooLarge) {
		return render.ErrPayloadTooLarge
	}
	if err != nil {
		return render.ErrUnreadableBody
	}
	r, err := h.Ingest.ReceiveWebhook(req.Context(), body, req.Header.Get("SC-Signature"))
	if err != nil {
		return webhookError(err)
	}
	if r.Challenge != "" {
		return c.JSON(http.StatusOK, verifyAnswer{Challenge: r.Challenge})
	}
	status := "recorded"
	if r.Duplicate {
		status = "duplicate"
	}
	return c.JSON(http.StatusOK, webhookReceipt{Status: status, EventID: r.EventID})
}

// verifyAnswer is the reply Smartcar checks when a webhook is verified.
type verifyAnswer struct {
	Challenge string `json:"challenge"`
}

// webhookReceipt acknowledges a recorded (or already recorded) event;
// Smartcar ignores the body, people debugging a delivery do not.
type webhookReceipt struct {
	Status  string `json:"status"`
	EventID string `json:"event_id"`
}

// webhookError maps the receiver's refusals onto answers Smartcar (and
// whoever reads its dashboard) can act on. The signature reason is logged by
// the error handler through the message; no token ever is.
func webhookError(err error) error {
	var se *ingest.SignatureError
	switch {
	case errors.As(err, &se):
		msg := "SC-Signature does not match the Application Management Token"
		switch se.Reason {
		case ingest.SigMissing:
			msg = "SC-Signature is missing"
		case ingest.SigNotConfigured:
			msg = "no Application Management Token is configured (SMARTCAR_MANAGEMENT_TOKEN)"
		}
		return &render.APIError{Status: http.StatusUnauthorized, Code: "invalid_signature", Message: msg + " (reason: " + se.Reason + ")"}
	case errors.Is(err, ingest.ErrMalformed):
		return &render.APIError{Status: http.StatusBadRequest, Code: "malformed_event", Message: err.Error()}
	case errors.Is(err, ingest.ErrUnknownType):
		return &render.APIError{Status: http.StatusUnprocessableEntity, Code: "unknown_event_type", Message: err.Error()}
	case errors.Is(err, ingest.ErrUnavailable):
		return render.ErrUnavailable
	}
	return err
}
