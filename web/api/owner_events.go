package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/web/render"
)

type ownerEventJSON struct {
	ID         int64           `json:"id"`
	VehicleID  string          `json:"vehicle_id,omitempty"`
	Kind       model.EventKind `json:"kind"`
	Source     model.Source    `json:"source,omitempty"`
	FromState  model.State     `json:"from_state,omitempty"`
	ToState    model.State     `json:"to_state,omitempty"`
	Detail     json.RawMessage `json:"detail,omitempty"`
	OccurredAt time.Time       `json:"occurred_at"`
}

type ownerEventsJSON struct {
	Events []ownerEventJSON `json:"events"`
	// NextBefore pages back: pass it as ?before= for older events.
	NextBefore int64 `json:"next_before,omitempty"`
}

// OwnerEvents lists an owner's timeline, newest first, including events
// recorded for a vehicle before the host told us whose it is.
func (h *Handler) OwnerEvents(c echo.Context) error {
	ctx := c.Request().Context()
	var p store.Page
	if v := c.QueryParam("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return render.FieldError("before", "a positive event id from next_before")
		}
		p.Before = n
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return render.FieldError("limit", "a whole number from 1 to 500")
		}
		p.Limit = n
	}
	owner, err := h.Store.OwnerByHostID(ctx, c.Param("host_user_id"))
	if err != nil {
		return err
	}
	evs, err := h.Store.OwnerTimeline(ctx, owner.ID, p)
	if err != nil {
		return err
	}
	vehicles, err := h.Store.VehiclesByOwner(ctx, owner.ID)
	if err != nil {
		return err
	}
	smartcarIDs := map[int64]string{}
	for _, v := range vehicles {
		smartcarIDs[v.ID] = v.SmartcarID
	}
	out := ownerEventsJSON{Events: make([]ownerEventJSON, 0, len(evs))}
	for _, e := range evs {
		j := ownerEventJSON{ID: e.ID, Kind: e.Kind, Source: e.Source, FromState: e.FromState, ToState: e.ToState, OccurredAt: e.OccurredAt}
		if e.VehicleID != nil {
			j.VehicleID = smartcarIDs[*e.VehicleID]
		}
		if e.Detail != "" {
			if json.Valid([]byte(e.Detail)) {
				j.Detail = json.RawMessage(e.Detail)
			} else {
				j.Detail, _ = json.Marshal(e.Detail)
			}
		}
		out.Events = append(out.Events, j)
	}
	if n := len(evs); n > 0 && n == limitOf(p) {
		out.NextBefore = evs[n-1].ID
	}
	return c.JSON(http.StatusOK, out)
}

func limitOf(p store.Page) int {
	if p.Limit <= 0 || p.Limit > 500 {
		return 100
	}
	return p.Limit
}
