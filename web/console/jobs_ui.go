package console

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"riverqueue.com/riverui"
	"riverqueue.com/riverui/uiendpoints"

	"reconnect/internal/audit"
	"reconnect/internal/model"
	"reconnect/web/paths"
)

// jobsAPI is River UI's JSON API: refusals there are status codes, not
// pages or redirects.
const jobsAPI = paths.ConsoleJobs + "/api"

// JobsUI builds River UI over the app's own database: the pgx pool on
// PostgreSQL, the single SQLite connection otherwise. Its background count
// caches are not started; without them it counts on each request, which is
// cheap at the sizes the dashboard shows.
func (con *Handler) JobsUI() echo.HandlerFunc {
	unavailable := func(c echo.Context) error { return echo.NewHTTPError(http.StatusServiceUnavailable) }
	if con.DB == nil {
		return unavailable
	}
	log := con.Log.With("component", "riverui")
	var bundle uiendpoints.Bundle
	if con.DB.IsPostgres() {
		client, err := river.NewClient(riverpgxv5.New(con.DB.Pool), &river.Config{Logger: log})
		if err != nil {
			con.Log.Error("console: job dashboard unavailable", "err", err)
			return unavailable
		}
		bundle = riverui.NewEndpoints(client, nil)
	} else {
		client, err := river.NewClient(riversqlite.New(con.DB.SQL), &river.Config{Logger: log})
		if err != nil {
			con.Log.Error("console: job dashboard unavailable", "err", err)
			return unavailable
		}
		bundle = riverui.NewEndpoints(client, nil)
	}
	h, err := riverui.NewHandler(&riverui.HandlerOpts{Endpoints: bundle, Logger: log, Prefix: paths.ConsoleJobs})
	if err != nil {
		con.Log.Error("console: job dashboard unavailable", "err", err)
		return unavailable
	}
	return echo.WrapHandler(h)
}

// AuditJobChanges writes what an admin changed in the job queue (cancel,
// retry, delete, pause) to the audit log; looking changes nothing and is
// not written.
func (con *Handler) AuditJobChanges(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		req := c.Request()
		if req.Method == http.MethodGet || req.Method == http.MethodHead {
			return err
		}
		cur, _ := currentStaff(c)
		detail := req.Method + " " + req.URL.Path + " → " + strconv.Itoa(c.Response().Status)
		if aerr := con.Audit.Record(req.Context(), nil, audit.Entry{Actor: con.actor(c, cur), Action: model.AuditJobsChanged, Detail: detail}); aerr != nil {
			con.Log.Error("audit job change", "err", aerr)
		}
		return err
	}
}
