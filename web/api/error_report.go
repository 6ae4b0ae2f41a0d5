package api

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/internal/ingest"
	"reconnect/internal/model"
	"reconnect/web/render"
)

// reportedError is the answer to a forwarded error: recorded, and how it reads.
type reportedError struct {
	EventID        string             `json:"event_id"`
	Duplicate      bool               `json:"duplicate"`
	Classification classificationJSON `json:"classification"`
}

type classificationJSON struct {
	Kind          string      `json:"kind"`
	State         model.State `json:"state,omitempty"`
	Reason        string      `json:"reason"`
	ResolutionURL string      `json:"resolution_url,omitempty"`
	Transient     bool        `json:"transient"`
	Noise         bool        `json:"noise"`
}

// ErrorReport takes a Smartcar API error the host backend got. It is
// recorded like a webhook and applied by the same processor; the answer is
// 202 with the classification, before the vehicle's state has changed.
func (h *Handler) ErrorReport(c echo.Context) error {
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
	r, err := h.Ingest.ReportError(req.Context(), body, req.Header.Get("Idempotency-Key"))
	var fe *ingest.FieldError
	switch {
	case errors.As(err, &fe):
		return render.FieldError(fe.Field, fe.Message)
	case errors.Is(err, ingest.ErrMalformedReport):
		return &render.APIError{Status: http.StatusBadRequest, Code: "malformed_json",
			Message: `send a JSON object: {"vehicle_id": "…", "error": {the Smartcar error body}, "status_code": 400}`}
	case errors.Is(err, ingest.ErrUnavailable):
		return render.ErrUnavailable
	case err != nil:
		return err
	}
	cl := r.Classification
	return c.JSON(http.StatusAccepted, reportedError{EventID: r.EventID, Duplicate: r.Duplicate, Classification: classificationJSON{
		Kind: cl.Kind.String(), State: cl.State, Reason: cl.Reason, ResolutionURL: cl.ResolutionURL,
		Transient: cl.Transient, Noise: cl.Noise,
	}})
}
