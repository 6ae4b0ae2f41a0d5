package api

import (
	"net/http"
	"time"

	"reconnect/web/render"

	"github.com/labstack/echo/v4"
)

type webhookEventJSON struct {
	EventID     string     `json:"event_id"`
	Source      string     `json:"source"`
	Type        string     `json:"type"`
	VehicleID   string     `json:"vehicle_id,omitempty"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
	ReceivedAt  time.Time  `json:"received_at"`
	Processed   bool       `json:"processed"`
	ProcessedAt *time.Time `json:"processed_at,omitempty"`
	Status      string     `json:"status"`
	Error       string     `json:"error,omitempty"`
}

// WebhookEvent tells whether an event was recorded and processed.
func (h *Handler) WebhookEvent(c echo.Context) error {
	if h.Ingest == nil {
		return render.ErrDetectionOff
	}
	st, err := h.Ingest.EventStatus(c.Request().Context(), c.Param("eventId"))
	if err != nil {
		return err
	}
	ev := st.Event
	return c.JSON(http.StatusOK, webhookEventJSON{
		EventID: ev.EventID, Source: ev.Source, Type: ev.EventType, VehicleID: ev.VehicleID,
		DeliveredAt: ev.DeliveredAt, ReceivedAt: ev.ReceivedAt, Processed: st.Processed,
		ProcessedAt: ev.ProcessedAt, Status: ev.Status, Error: ev.Error,
	})
}
