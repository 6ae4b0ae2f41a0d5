package smartcar

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"
)

// Connection is one v3 user–vehicle connection.
type Connection struct {
	ID             string
	UserID         string
	VehicleID      string
	Permissions    []string // scopes actually granted, possibly fewer than requested
	Make           string
	Model          string
	Year           int
	Mode           string
	PowertrainType string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// PageMeta is v3 page-number paging.
type PageMeta struct {
	PageNumber int `json:"pageNumber"`
	PageSize   int `json:"pageSize"`
	TotalCount int `json:"totalCount"`
}

// ConnectionPage is one page of connections.
type ConnectionPage struct {
	Connections []Connection
	Meta        PageMeta
	Next        string // links.next, "" on the last page
	RequestID   string
}

// ConnectionsFilter narrows a connections listing; zero fields are not sent.
type ConnectionsFilter struct {
	UserID     string
	VehicleID  string
	Mode       Mode // live or simulated
	ExternalID string
	PageNumber int
	PageSize   int
}

func (c *Client) v3(path string) string { return c.cfg.VehicleAPIURL + "/v3" + path }

// callV3 sends a request with the application token, dropping the cached
// token when the API refuses it.
func (c *Client) callV3(ctx context.Context, method, rawURL, userID string, out any) (string, error) {
	tok, err := c.AppToken(ctx)
	if err != nil {
		return "", err
	}
	h := bearer(tok)
	if userID != "" {
		h.Set("sc-user-id", userID)
	}
	id, err := c.call(ctx, method, rawURL, h, out)
	if e, ok := errors.AsType[*Error](err); ok && e.HTTPStatus == http.StatusUnauthorized {
		c.forgetAppToken(tok)
	}
	return id, err
}

type v3Vehicle struct {
	ID         string `json:"id"`
	Attributes struct {
		Make  string  `json:"make"`
		Model string  `json:"model"`
		Year  flexInt `json:"year"`
	} `json:"attributes"`
}

// VehicleV3 returns a vehicle's attributes; userID may be empty.
func (c *Client) VehicleV3(ctx context.Context, userID, vehicleID string) (Vehicle, error) {
	// The SDK fixtures have no data wrapper, other sources say single
	// resources carry one; accept both.
	var out struct {
		v3Vehicle
		Data *v3Vehicle `json:"data"`
	}
	id, err := c.callV3(ctx, http.MethodGet, c.v3("/vehicles/"+url.PathEscape(vehicleID)), userID, &out)
	v := out.v3Vehicle
	if out.Data != nil {
		v = *out.Data
	}
	a := v.Attributes
	return Vehicle{ID: v.ID, Make: a.Make, Model: a.Model, Year: int(a.Year), RequestID: id}, err
}

// Connections lists v3 connections.
func (c *Client) Connections(ctx context.Context, f ConnectionsFilter) (ConnectionPage, error) {
	var out struct {
		Data []struct {
			ID         string `json:"id"`
			Attributes struct {
				Permissions []string `json:"permissions"`
				Vehicle     struct {
					Make           string  `json:"make"`
					Model          string  `json:"model"`
					Year           flexInt `json:"year"`
					Mode           string  `json:"mode"`
					PowertrainType string  `json:"powertrainType"`
				} `json:"vehicle"`
			} `json:"attributes"`
			Relationships struct {
				Vehicle struct {
					Data struct{ ID string } `json:"data"`
				} `json:"vehicle"`
				User struct {
					Data struct{ ID string } `json:"data"`
				} `json:"user"`
			} `json:"relationships"`
			Meta struct {
				CreatedAt flexTime `json:"createdAt"`
				UpdatedAt flexTime `json:"updatedAt"`
			} `json:"meta"`
		} `json:"data"`
		Meta  PageMeta `json:"meta"`
		Links struct {
			Next string `json:"next"`
		} `json:"links"`
	}
	u := withQuery(c.v3("/connections"), url.Values{
		"filter[userId]":          {f.UserID},
		"filter[vehicleId]":       {f.VehicleID},
		"filter[vehicle.mode]":    {string(f.Mode)},
		"filter[user.externalId]": {f.ExternalID},
		"page[number]":            {itoa(f.PageNumber)},
		"page[size]":              {itoa(f.PageSize)},
	})
	id, err := c.callV3(ctx, http.MethodGet, u, "", &out)
	page := ConnectionPage{Meta: out.Meta, Next: out.Links.Next, RequestID: id}
	for _, d := range out.Data {
		v := d.Attributes.Vehicle
		page.Connections = append(page.Connections, Connection{
			ID:             d.ID,
			UserID:         d.Relationships.User.Data.ID,
			VehicleID:      d.Relationships.Vehicle.Data.ID,
			Permissions:    d.Attributes.Permissions,
			Make:           v.Make,
			Model:          v.Model,
			Year:           int(v.Year),
			Mode:           v.Mode,
			PowertrainType: v.PowertrainType,
			CreatedAt:      d.Meta.CreatedAt.Time,
			UpdatedAt:      d.Meta.UpdatedAt.Time,
		})
	}
	return page, err
}

// DeleteConnection disconnects one v3 connection.
func (c *Client) DeleteConnection(ctx context.Context, connectionID string) error {
	_, err := c.callV3(ctx, http.MethodDelete, c.v3("/connections/"+url.PathEscape(connectionID)), "", nil)
	return err
}

// SignalsV3 reads a vehicle's signals for a user. Unlike VehicleV3, which
// answers from Smartcar's own record, a signal read reaches the car's
// connection, so it is what shows a connection that is still broken.
func (c *Client) SignalsV3(ctx context.Context, userID, vehicleID string) (requestID string, err error) {
	var out json.RawMessage
	return c.callV3(ctx, http.MethodGet, c.v3("/vehicles/"+url.PathEscape(vehicleID)+"/signals"), userID, &out)
}
