package console

import (
	"net/http"
	"net/url"
	"reconnect/internal/i18n"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/internal/audit"
	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/internal/useragent"
	consoleviews "reconnect/views/console"
	"reconnect/web/paths"
	"reconnect/web/render"
)

func auditRows(entries []store.AuditEntry) []consoleviews.AuditRow {
	out := make([]consoleviews.AuditRow, 0, len(entries))
	for _, e := range entries {
		r := consoleviews.AuditRow{
			ID: e.ID, At: e.At, Staff: e.StaffEmail, Action: string(e.Action), Reason: e.Reason,
			Detail: clipText(e.Detail, 300), IP: e.IP, UserAgent: e.UserAgent, Agent: useragent.Parse(e.UserAgent),
		}
		if e.OwnerID != nil {
			// The pseudonym: the trail never names an owner by anything they are.
			r.Owner, r.OwnerURL = e.OwnerRef, paths.ConsoleOwner(*e.OwnerID)
		}
		out = append(out, r)
	}
	return out
}

// auditDay reads a YYYY-MM-DD date (UTC), as a date field sends it.
func auditDay(s string) (time.Time, bool) {
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	return d, err == nil
}

// auditFilter reads the filter from the query string: the owner by email
// address or host user id (or the pseudonym the rows show), the staff
// member's email, the action, and a range of days (both included). The
// values echo back into the form and the CSV link; ownerKnown is false when
// an owner was asked for and no owner matches.
func (con *Handler) auditFilter(c echo.Context) (f store.AuditFilter, keep url.Values, ownerKnown bool, err error) {
	keep, ownerKnown = url.Values{}, true
	for _, a := range model.AuditActions {
		if c.QueryParam("action") == string(a) {
			f.Action = a
			keep.Set("action", string(a))
		}
	}
	if who := strings.TrimSpace(c.QueryParam("owner")); who != "" && len(who) <= 320 {
		// Rows name owners by pseudonym only: find the owners the value
		// names and keep the rows that carry their pseudonyms. The value
		// itself may be a pseudonym, copied from a row.
		refs, err := con.Store.AuditIDsOfOwner(c.Request().Context(), who)
		if err != nil {
			return f, keep, false, err
		}
		ownerKnown = len(refs) > 0
		f.OwnerRefs = append(refs, who)
		keep.Set("owner", who)
	}
	if email := strings.TrimSpace(c.QueryParam("staff")); email != "" && len(email) <= 320 {
		f.StaffEmail = email
		keep.Set("staff", email)
	}
	if d, ok := auditDay(c.QueryParam("from")); ok {
		f.From = d
		keep.Set("from", d.Format(time.DateOnly))
	}
	if d, ok := auditDay(c.QueryParam("to")); ok {
		f.To = d.AddDate(0, 0, 1)
		keep.Set("to", d.Format(time.DateOnly))
	}
	return f, keep, ownerKnown, nil
}

// AuditLog lists the audit log, newest first, filtered.
func (con *Handler) AuditLog(c echo.Context) error {
	f, keep, ownerKnown, err := con.auditFilter(c)
	if err != nil {
		return err
	}
	f.Before, _ = strconv.ParseInt(c.QueryParam("before"), 10, 64)
	const pageSize = 100
	f.Limit = pageSize
	entries, err := con.Audit.List(c.Request().Context(), f)
	if err != nil {
		return err
	}
	v := consoleviews.AuditView{
		Chrome: con.chrome(c, i18n.T(c.Request().Context(), "console.audit.title"), "audit"), Action: string(f.Action),
		Filter: consoleviews.AuditFilter{Owner: keep.Get("owner"), OwnerUnknown: !ownerKnown, StaffEmail: keep.Get("staff"),
			From: keep.Get("from"), To: keep.Get("to")},
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
	f, keep, _, err := con.auditFilter(c)
	if err != nil {
		return err
	}
	cur, _ := currentStaff(c)
	ctx := c.Request().Context()
	if err := con.Audit.RecordLook(ctx, audit.Entry{Actor: con.actor(c, cur), Action: model.AuditExported, Detail: exportDetail(f, keep)}); err != nil {
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

// exportDetail is the filter of an export as the audit trail keeps it: the
// owner by the pseudonyms found, never the email address or host user id
// typed, which the append-only trail could not forget.
func exportDetail(f store.AuditFilter, keep url.Values) string {
	d := url.Values{}
	for k, vs := range keep {
		d[k] = vs
	}
	if d.Get("owner") != "" {
		d.Del("owner")
		refs := "none"
		if n := len(f.OwnerRefs); n > 1 {
			// The last ref is the typed value itself, kept in case it is a
			// pseudonym; the others are the owners it named.
			refs = strings.Join(f.OwnerRefs[:n-1], ",")
		}
		d.Set("owner_refs", refs)
	}
	return d.Encode()
}
