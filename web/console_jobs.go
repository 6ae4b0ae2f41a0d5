package web

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
)

// jobsPrefix is where River UI, the job queue dashboard, is mounted.
const jobsPrefix = "/console/jobs"

// jobsHandler builds River UI over the app's own database: the pgx pool on
// PostgreSQL, the single SQLite connection otherwise. Its background count
// caches are not started; without them it counts on each request, which is
// cheap at the sizes the dashboard shows.
func (con *console) jobsHandler() echo.HandlerFunc {
	unavailable := func(c echo.Context) error { return echo.NewHTTPError(http.StatusServiceUnavailable) }
	if con.db == nil {
		return unavailable
	}
	log := con.log.With("component", "riverui")
	var bundle uiendpoints.Bundle
	if con.db.IsPostgres() {
		client, err := river.NewClient(riverpgxv5.New(con.db.Pool), &river.Config{Logger: log})
		if err != nil {
			con.log.Error("console: job dashboard unavailable", "err", err)
			return unavailable
		}
		bundle = riverui.NewEndpoints(client, nil)
	} else {
		client, err := river.NewClient(riversqlite.New(con.db.SQL), &river.Config{Logger: log})
		if err != nil {
			con.log.Error("console: job dashboard unavailable", "err", err)
			return unavailable
		}
		bundle = riverui.NewEndpoints(client, nil)
	}
	h, err := riverui.NewHandler(&riverui.HandlerOpts{Endpoints: bundle, Logger: log, Prefix: jobsPrefix})
	if err != nil {
		con.log.Error("console: job dashboard unavailable", "err", err)
		return unavailable
	}
	return echo.WrapHandler(h)
}

// auditJobChanges writes what an admin changed in the job queue (cancel,
// retry, delete, pause) to the audit log; looking changes nothing and is
// not written.
func (con *console) auditJobChanges(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		req := c.Request()
		if req.Method == http.MethodGet || req.Method == http.MethodHead {
			return err
		}
		cur, _ := currentStaff(c)
		detail := req.Method + " " + req.URL.Path + " → " + strconv.Itoa(c.Response().Status)
		if aerr := con.audit.Record(req.Context(), nil, audit.Entry{Actor: con.actor(c, cur), Action: model.AuditJobsChanged, Detail: detail}); aerr != nil {
			con.log.Error("audit job change", "err", aerr)
		}
		return err
	}
}
