package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/internal/links"
	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/web/render"
)

type linkRequest struct {
	HostUserID string            `json:"host_user_id"`
	VehicleID  string            `json:"vehicle_id"`
	Purpose    model.LinkPurpose `json:"purpose"`
	ReturnURL  string            `json:"return_url"`
}

type linkJSON struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

func linkMint(ownerID int64, vehicleID *int64, purpose model.LinkPurpose, returnURL string, source model.Source) links.Mint {
	return links.Mint{OwnerID: ownerID, VehicleID: vehicleID, Purpose: purpose, ReturnURL: returnURL, Source: source}
}

// LinkCreate mints an owner link for the host app to send or open.
func (h *Handler) LinkCreate(c echo.Context) error {
	var in linkRequest
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.HostUserID == "" {
		return render.FieldError("host_user_id", "is required")
	}
	if !in.Purpose.Valid() {
		return render.FieldError("purpose", `must be "email" or "in_app"`)
	}
	if in.ReturnURL != "" && !h.Links.ReturnURLAllowed(in.ReturnURL) {
		return render.FieldError("return_url", "must be an absolute URL on an origin listed in RETURN_URL_ALLOWLIST")
	}
	ctx := c.Request().Context()
	o, err := h.Store.OwnerByHostID(ctx, in.HostUserID)
	if errors.Is(err, store.ErrNotFound) {
		return render.FieldError("host_user_id", "no owner with that id")
	}
	if err != nil {
		return err
	}
	var vid *int64
	if in.VehicleID != "" {
		v, err := h.Store.VehicleBySmartcarID(ctx, in.VehicleID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && (v.OwnerID == nil || *v.OwnerID != o.ID)) {
			return render.FieldError("vehicle_id", "no vehicle with that id belongs to this owner")
		}
		if err != nil {
			return err
		}
		vid = &v.ID
	}
	m, err := h.Links.Mint(ctx, nil, linkMint(o.ID, vid, in.Purpose, in.ReturnURL, model.SourceAPI))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, linkJSON{URL: m.URL, ExpiresAt: m.ExpiresAt.UTC()})
}
