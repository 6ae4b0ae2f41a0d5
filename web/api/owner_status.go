package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/internal/campaign"
	"reconnect/internal/model"
	"reconnect/internal/probe"
	"reconnect/internal/store"
	"reconnect/internal/vehicletext"
	"reconnect/web/render"
)

type statusVehicle struct {
	vehicleJSON
	NeedsAction bool                `json:"needs_action"`
	Message     string              `json:"message,omitempty"`
	Link        *linkJSON           `json:"link,omitempty"`
	Campaign    *statusCampaignJSON `json:"campaign,omitempty"`
}

// statusCampaignJSON is the migration campaign a car must be
// re-authenticated for, so the host can show its banner before the date.
type statusCampaignJSON struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CutoverAt time.Time `json:"cutover_at"`
	Message   string    `json:"message"`
	Link      *linkJSON `json:"link"`
}

type statusJSON struct {
	HostUserID  string          `json:"host_user_id"`
	NeedsAction bool            `json:"needs_action"`
	Vehicles    []statusVehicle `json:"vehicles"`
}

// OwnerStatus tells the host what to show in its own banner: each vehicle,
// whether it needs the owner, the message in the owner's language, and a
// fresh single-use in-app link.
func (h *Handler) OwnerStatus(c echo.Context) error {
	ctx := c.Request().Context()
	o, err := h.Store.OwnerByHostID(ctx, c.Param("host_user_id"))
	if errors.Is(err, store.ErrNotFound) {
		return &render.APIError{Status: http.StatusNotFound, Code: "owner_not_found", Message: "no owner with that host_user_id"}
	}
	if err != nil {
		return err
	}
	// Read before any transaction: on SQLite the probe's transaction holds
	// the one connection, and the campaign service reads through its own.
	standings, err := h.campaignStandings(ctx, o)
	if err != nil {
		return err
	}
	if !probe.Is(ctx) {
		out, err := h.status(c, h.Store, o, standings)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	}
	// A probe (HEAD) must get the answer a GET would, links included, but
	// leave no link behind: the links are minted in a transaction that is
	// then rolled back.
	var out statusJSON
	err = h.Store.Tx(ctx, func(tx *store.Store) error {
		if out, err = h.status(c, tx, o, standings); err != nil {
			return err
		}
		return errRollback
	})
	if err != nil && !errors.Is(err, errRollback) {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

var errRollback = errors.New("api: probe, roll back")

// campaignStandings is the live campaign each of the owner's cars follows,
// by vehicle id; declined cars follow none.
func (h *Handler) campaignStandings(ctx context.Context, o model.Owner) (map[int64]campaign.Standing, error) {
	out := map[int64]campaign.Standing{}
	if h.Campaigns == nil {
		return out, nil
	}
	vs, err := h.Store.VehiclesByOwner(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	now := h.Store.Now()
	for _, v := range vs {
		if v.State == model.StateDeclined {
			continue
		}
		st, ok, err := h.Campaigns.ForVehicle(ctx, v.ID, now)
		if err != nil {
			return nil, err
		}
		if ok {
			out[v.ID] = st
		}
	}
	return out, nil
}

func (h *Handler) status(c echo.Context, st *store.Store, o model.Owner, standings map[int64]campaign.Standing) (statusJSON, error) {
	ctx := c.Request().Context()
	vs, err := st.VehiclesByOwner(ctx, o.ID)
	if err != nil {
		return statusJSON{}, err
	}
	loc := h.I18n.Localizer(h.I18n.Match(o.Locale, c.Request().Header.Get("Accept-Language")))
	out := statusJSON{HostUserID: o.HostUserID, Vehicles: []statusVehicle{}}
	now := h.Store.Now()
	for _, v := range vs {
		sv := statusVehicle{vehicleJSON: vehicleOut(v), NeedsAction: v.State.NeedsOwner()}
		standing, inCampaign := standings[v.ID]
		inCampaign = inCampaign && !standing.Done
		if sv.NeedsAction {
			data := map[string]any{"Make": vehicletext.MakeName(v.Make), "App": h.AppName, "Car": vehicletext.Title(v)}
			if rk, tk := vehicletext.ReasonKeys(v); rk != "" {
				sv.Message = loc.T(rk, data)
				if tk != "" {
					sv.Message += " " + loc.T(tk, data)
				}
			}
		}
		if sv.NeedsAction || inCampaign {
			// A car in a campaign needs the owner before it breaks: that
			// is the point of telling them ahead of the date.
			sv.NeedsAction, out.NeedsAction = true, true
			vid := v.ID
			m, err := h.Links.Mint(ctx, st, linkMint(o.ID, &vid, model.PurposeInApp, "", model.SourceAPI))
			if err != nil {
				return statusJSON{}, err
			}
			sv.Link = &linkJSON{URL: m.URL, ExpiresAt: m.ExpiresAt.UTC()}
		}
		if inCampaign {
			txt := vehicletext.Campaign(loc, standing.Campaign, h.AppName, now, vehicletext.Location(o.TimeZone, h.TimeZone))
			msg := strings.TrimSpace(txt.Heading + ". " + txt.ToDo + " " + txt.DaysLeft)
			sv.Campaign = &statusCampaignJSON{ID: standing.Campaign.ID, Name: standing.Campaign.Name,
				CutoverAt: standing.Campaign.CutoverAt.UTC(), Message: msg, Link: sv.Link}
			if err := h.Campaigns.Shown(ctx, st, standing.Campaign.ID, v.ID, now); err != nil {
				return statusJSON{}, err
			}
		}
		out.Vehicles = append(out.Vehicles, sv)
	}
	return out, nil
}
