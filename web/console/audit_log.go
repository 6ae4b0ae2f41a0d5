package console

import (
	"net/http"
	"net/url"
	"reconnect/internal/i18n"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"reconnect/internal/audit"
	"reconnect/internal/model"
	"reconnect/internal/store"
	consoleviews "reconnect/views/console"
	"reconnect/web/paths"
	"reconnect/web/render"
)

func auditRows(entries []store.AuditEntry) []consoleviews.AuditRow {
	out := make([]consoleviews.AuditRow, 0, len(entries))
	for _, e := range entries {
		r := consoleviews.AuditRow{
			ID: e.ID, At: e.At, Staff: e.StaffEmail, Action: string(e.Action), Reason: e.Reason,
			Detail: clipText(e.Detail, 300), IP: e.IP, UserAgent: clipText(e.UserAgent, 120),
		}
		if e.OwnerID != nil {
			// The pseudonym: the trail never names an owner by anything they are.
			r.Owner, r.OwnerURL = e.OwnerRef, paths.ConsoleOwner(*e.OwnerID)
		}
		out = append(out, r)
	}
	return out
}

// auditFilter reads the filter from the query string; the values echo
// back into the form and the CSV link.
func auditFilter(c echo.Context) (store.AuditFilter, url.Values) {
	var f store.AuditFilter
	keep := url.Values{}
	for _, a := range model.AuditActions {
		if c.QueryParam("action") == string(a) {
			f.Action = a
			keep.Set("action", string(a))
		}
	}
	if id, err := strconv.ParseInt(strings.TrimSpace(c.QueryParam("owner")), 10, 64); err == nil {
		f.OwnerID = &id
		keep.Set("owner", strconv.FormatInt(id, 10))
	}
	if id, err := strconv.ParseInt(strings.TrimSpace(c.QueryParam("staff")), 10, 64); err == nil {
		f.StaffID = &id
		keep.Set("staff", strconv.FormatInt(id, 10))
	}
	return f, keep
}

// AuditLog lists the audit log, newest first, filtered.
func (con *Handler) AuditLog(c echo.Context) error {
	f, keep := auditFilter(c)
	f.Before, _ = strconv.ParseInt(c.QueryParam("before"), 10, 64)
	const pageSize = 100
	f.Limit = pageSize
	entries, err := con.Audit.List(c.Request().Context(), f)
	if err != nil {
		return err
	}
	v := consoleviews.AuditView{
		Chrome: con.chrome(c, i18n.T(c.Request().Context(), "console.audit.title"), "audit"), Action: string(f.Action), OwnerID: keep.Get("owner"), StaffID: keep.Get("staff"),
		Rows: auditRows(entries), CSVURL: paths.ConsoleAuditCSV(keep),
	}
	v.Actions = append(v.Actions, consoleviews.Option{Value: "", Label: i18n.T(c.Request().Context(), "console.audit.any_action"), Selected: f.Action == ""})
	for _, a := range model.AuditActions {
		v.Actions = append(v.Actions, consoleviews.Option{Value: string(a), Label: string(a), Selected: a == f.Action})
	}
	if len(entries) == pageSize {
		older := url.Values{}
		for k, vs := range keep {
			older[k] = vs
		}
		older.Set("before", strconv.FormatInt(entries[len(entries)-1].ID, 10))
		v.OlderURL = paths.ConsoleAudit(older)
	}
	return render.HTML(c, http.StatusOK, consoleviews.Audit(v))
}

// AuditCSV streams the filtered audit log as CSV. The export is itself
// audited first, so even a failed download leaves a trace.
func (con *Handler) AuditCSV(c echo.Context) error {
	f, keep := auditFilter(c)
	cur, _ := currentStaff(c)
	ctx := c.Request().Context()
	if err := con.Audit.RecordLook(ctx, audit.Entry{Actor: con.actor(c, cur), Action: model.AuditExported, Detail: keep.Encode()}); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="audit-`+con.Store.Now().UTC().Format("20060102-150405")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	if err := con.Audit.WriteCSV(ctx, c.Response(), f); err != nil {
		// The header is out; all that is left is to stop and log.
		con.Log.Error("audit export failed", "err", err)
	}
	return nil
}
