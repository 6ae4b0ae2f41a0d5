package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/internal/ingest"
)

// smartcarWebhook receives Smartcar's deliveries. It answers 2xx only once
// the event is committed, so anything it could not record is retried by
// Smartcar; everything else happens later, off the request path.
func (s *Server) smartcarWebhook(c echo.Context) error {
	if s.ingest == nil {
		return errDetectionOff
	}
	req := c.Request()
	body, err := readBody(req, ingest.MaxWebhookBody)
	if errors.Is(err, errBodyTooLarge) {
		return errWebhookTooLarge
	}
	if err != nil {
		return &APIError{Status: http.StatusBadRequest, Code: "unreadable_body", Message: "the request body could not be read"}
	}
	r, err := s.ingest.ReceiveWebhook(req.Context(), body, req.Header.Get("SC-Signature"))
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

var (
	errWebhookTooLarge = &APIError{Status: http.StatusRequestEntityTooLarge, Code: "payload_too_large",
		Message: "webhook bodies are limited to 64 KB"}
	errDetectionOff = &APIError{Status: http.StatusServiceUnavailable, Code: "unavailable",
		Message: "detection is not running on this instance"}
)

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
		return &APIError{Status: http.StatusUnauthorized, Code: "invalid_signature", Message: msg + " (reason: " + se.Reason + ")"}
	case errors.Is(err, ingest.ErrMalformed):
		return &APIError{Status: http.StatusBadRequest, Code: "malformed_event", Message: err.Error()}
	case errors.Is(err, ingest.ErrUnknownType):
		return &APIError{Status: http.StatusUnprocessableEntity, Code: "unknown_event_type", Message: err.Error()}
	case errors.Is(err, ingest.ErrUnavailable):
		return errUnavailable
	}
	return err
}

var errUnavailable = &APIError{Status: http.StatusServiceUnavailable, Code: "unavailable",
	Message: "the event could not be recorded right now; retry later"}

var errBodyTooLarge = errors.New("body too large")

// readBody reads the raw body once, at most limit bytes. With a
// Content-Length it reads into one buffer of that size instead of growing
// one, which matters at thousands of requests a second.
func readBody(req *http.Request, limit int64) ([]byte, error) {
	if req.ContentLength > limit {
		return nil, errBodyTooLarge
	}
	size := req.ContentLength
	if size < 0 {
		size = 4 << 10
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+1))
	n, err := buf.ReadFrom(io.LimitReader(req.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, errBodyTooLarge
	}
	return buf.Bytes(), nil
}
