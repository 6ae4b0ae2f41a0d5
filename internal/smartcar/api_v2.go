package smartcar

import (
	"context"
	"net/http"
	"net/url"
)

// Paging is v2 offset paging; Count is the total across all pages.
type Paging struct {
	Count  int `json:"count"`
	Offset int `json:"offset"`
}

// VehiclePage is one page of the vehicle ids a user token covers.
type VehiclePage struct {
	IDs       []string
	Paging    Paging
	RequestID string
}

// Vehicle is a vehicle's id, make, model and year, from v2 or v3.
type Vehicle struct {
	ID        string
	Make      string
	Model     string
	Year      int
	RequestID string
}

// PermissionPage is one page of the scopes granted for a vehicle.
type PermissionPage struct {
	Permissions []string
	Paging      Paging
	RequestID   string
}

// maxVehiclesLimit is the largest page v2 /vehicles serves.
const maxVehiclesLimit = 50

func (c *Client) v2(path string) string { return c.cfg.APIURL + "/v2.0" + path }

// User returns the Smartcar user id behind an access token.
func (c *Client) User(ctx context.Context, access string) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	_, err := c.call(ctx, http.MethodGet, c.v2("/user"), bearer(access), &out)
	return out.ID, err
}

// Vehicles returns one page of vehicle ids; zero limit or offset use Smartcar's defaults.
func (c *Client) Vehicles(ctx context.Context, access string, limit, offset int) (VehiclePage, error) {
	var out struct {
		Vehicles []string `json:"vehicles"`
		Paging   Paging   `json:"paging"`
	}
	u := withQuery(c.v2("/vehicles"), url.Values{"limit": {itoa(limit)}, "offset": {itoa(offset)}})
	id, err := c.call(ctx, http.MethodGet, u, bearer(access), &out)
	return VehiclePage{IDs: out.Vehicles, Paging: out.Paging, RequestID: id}, err
}

// AllVehicles pages through every vehicle id a token covers.
func (c *Client) AllVehicles(ctx context.Context, access string) ([]string, error) {
	var ids []string
	for {
		page, err := c.Vehicles(ctx, access, maxVehiclesLimit, len(ids))
		if err != nil {
			return nil, err
		}
		ids = append(ids, page.IDs...)
		// An empty page ends the loop even if count promises more.
		if len(page.IDs) == 0 || len(ids) >= page.Paging.Count {
			return ids, nil
		}
	}
}

// VehicleAttributes returns a vehicle's make, model and year.
func (c *Client) VehicleAttributes(ctx context.Context, access, vehicleID string) (Vehicle, error) {
	var out struct {
		ID    string  `json:"id"`
		Make  string  `json:"make"`
		Model string  `json:"model"`
		Year  flexInt `json:"year"`
	}
	id, err := c.call(ctx, http.MethodGet, c.v2("/vehicles/"+url.PathEscape(vehicleID)), bearer(access), &out)
	return Vehicle{ID: out.ID, Make: out.Make, Model: out.Model, Year: int(out.Year), RequestID: id}, err
}

// Permissions returns one page of the scopes granted for a vehicle.
func (c *Client) Permissions(ctx context.Context, access, vehicleID string, limit, offset int) (PermissionPage, error) {
	var out struct {
		Permissions []string `json:"permissions"`
		Paging      Paging   `json:"paging"`
	}
	u := withQuery(c.v2("/vehicles/"+url.PathEscape(vehicleID)+"/permissions"),
		url.Values{"limit": {itoa(limit)}, "offset": {itoa(offset)}})
	id, err := c.call(ctx, http.MethodGet, u, bearer(access), &out)
	return PermissionPage{Permissions: out.Permissions, Paging: out.Paging, RequestID: id}, err
}

// Disconnect revokes the application's access to a vehicle. access may be
// the owner's token or the management token.
func (c *Client) Disconnect(ctx context.Context, access, vehicleID string) error {
	_, err := c.call(ctx, http.MethodDelete, c.v2("/vehicles/"+url.PathEscape(vehicleID)+"/application"), bearer(access), nil)
	return err
}
