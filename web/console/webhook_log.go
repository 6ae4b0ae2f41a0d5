package console

import (
	"net/http"
	"net/url"
	"reconnect/internal/i18n"
	"strconv"

	"github.com/labstack/echo/v4"

	"reconnect/internal/store"
	consoleviews "reconnect/views/console"
	"reconnect/web/paths"
	"reconnect/web/render"
)

var deliveryTones = map[string]string{
	store.InboxPending: "info", store.InboxProcessed: "ok", store.InboxFailed: "danger",
	store.DeliveryRetrying: "warn", store.DeliveryDelivered: "ok",
}

// WebhookLog is the webhook delivery log: what Smartcar and the host
// backend sent us (the inbox), and what we sent the host app.
func (con *Handler) WebhookLog(c echo.Context) error {
	ctx := c.Request().Context()
	dir := "in"
	if c.QueryParam("direction") == "out" {
		dir = "out"
	}
	statuses := []string{store.InboxPending, store.InboxProcessed, store.InboxFailed}
	if dir == "out" {
		statuses = []string{store.DeliveryPending, store.DeliveryRetrying, store.DeliveryDelivered, store.DeliveryFailed}
	}
	status := ""
	for _, s := range statuses {
		if c.QueryParam("status") == s {
			status = s
		}
	}
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	const pageSize = 100
	v := consoleviews.WebhooksView{Chrome: con.chrome(c, i18n.T(ctx, "console.webhooks.title"), "webhooks"), Direction: dir, Status: status}
	v.Statuses = append(v.Statuses, consoleviews.Option{Value: "", Label: i18n.T(ctx, "console.webhooks.any_status"), Selected: status == ""})
	for _, s := range statuses {
		v.Statuses = append(v.Statuses, consoleviews.Option{Value: s, Label: i18n.T(ctx, "console.webhooks.status_"+s), Selected: s == status})
	}
	var last int64
	var n int
	if dir == "out" {
		rows, err := con.Store.OutboundWebhooks(ctx, status, store.Page{Before: before, Limit: pageSize})
		if err != nil {
			return err
		}
		for _, r := range rows {
			v.Outbound = append(v.Outbound, consoleviews.OutboundRow{
				ID: r.ID, CreatedAt: r.CreatedAt, Type: r.EventType, MessageID: r.MessageID, URL: r.URL,
				Status: r.Status, StatusTone: deliveryTones[r.Status], Attempts: r.Attempts, LastCode: r.LastStatusCode,
				LastError: clipText(r.LastError, 300), LastTry: r.LastAttemptAt,
			})
			last = r.ID
		}
		n = len(rows)
	} else {
		rows, err := con.Store.InboundWebhooks(ctx, status, store.Page{Before: before, Limit: pageSize})
		if err != nil {
			return err
		}
		for _, r := range rows {
			v.Inbound = append(v.Inbound, consoleviews.InboundRow{
				ID: r.ID, ReceivedAt: r.ReceivedAt, Source: r.Source, Type: r.EventType, EventID: r.EventID,
				VehicleID: r.VehicleID, Status: r.Status, StatusTone: deliveryTones[r.Status], ProcessedAt: r.ProcessedAt,
				Error: clipText(r.Error, 300),
			})
			last = r.ID
		}
		n = len(rows)
	}
	if n == pageSize {
		q := url.Values{"direction": {dir}, "before": {strconv.FormatInt(last, 10)}}
		if status != "" {
			q.Set("status", status)
		}
		v.OlderURL = paths.ConsoleWebhooks(q)
	}
	return render.HTML(c, http.StatusOK, consoleviews.Webhooks(v))
}
