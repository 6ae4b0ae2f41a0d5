package console

import (
	"errors"
	"net/http"
	"reconnect/internal/i18n"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"reconnect/internal/staff"
	"reconnect/internal/store"
	consoleviews "reconnect/views/console"
	"reconnect/web/paths"
	"reconnect/web/render"
)

func (con *Handler) staffView(c echo.Context) (consoleviews.StaffView, error) {
	ctx := c.Request().Context()
	v := consoleviews.StaffView{Chrome: con.chrome(c, i18n.T(ctx, "console.staff.title"), "staff")}
	list, err := con.Staff.List(c.Request().Context())
	if err != nil {
		return v, err
	}
	cur, _ := currentStaff(c)
	now := con.Store.Now()
	for _, st := range list {
		r := consoleviews.StaffRow{ID: st.ID, Email: st.Email, Name: st.Name, Role: st.Role, LastLogin: st.LastLoginAt, Self: st.ID == cur.Staff.ID}
		switch {
		case st.DisabledAt != nil:
			r.Status, r.StatusTone, r.Disabled = i18n.T(ctx, "console.staff.status_disabled"), "neutral", true
		case st.LockedUntil != nil && now.Before(*st.LockedUntil):
			r.Status, r.StatusTone, r.Locked = i18n.T(ctx, "console.staff.status_locked", map[string]any{"Until": st.LockedUntil.UTC().Format("15:04 UTC")}), "danger", true
		case st.PasswordHash == "":
			r.Status, r.StatusTone = i18n.T(ctx, "console.staff.status_no_password"), "warn"
		default:
			r.Status, r.StatusTone = i18n.T(ctx, "console.staff.status_active"), "ok"
		}
		v.Rows = append(v.Rows, r)
	}
	v.Roles = []consoleviews.Option{{Value: store.RoleAgent, Label: i18n.T(ctx, "console.staff.role_agent"), Selected: true}, {Value: store.RoleAdmin, Label: i18n.T(ctx, "console.staff.role_admin")}}
	return v, nil
}

// StaffList lists the team and the form to add to it.
func (con *Handler) StaffList(c echo.Context) error {
	v, err := con.staffView(c)
	if err != nil {
		return err
	}
	return render.HTML(c, http.StatusOK, consoleviews.StaffList(v))
}

// StaffCreate adds a staff member and shows their set-password link once.
func (con *Handler) StaffCreate(c echo.Context) error {
	cur, _ := currentStaff(c)
	email, name, role := strings.TrimSpace(c.FormValue("email")), c.FormValue("name"), c.FormValue("role")
	st, link, err := con.Staff.Create(c.Request().Context(), con.actor(c, cur), email, name, role)
	var bad *staff.InputError
	status := http.StatusOK
	v, verr := con.staffView(c)
	if verr != nil {
		return verr
	}
	switch {
	case errors.As(err, &bad):
		status, v.Errors = http.StatusUnprocessableEntity, consoleviews.FieldErrors{bad.Field: inputMessage(c, bad)}
	case errors.Is(err, staff.ErrExists):
		status, v.Errors = http.StatusUnprocessableEntity, consoleviews.FieldErrors{"email": "A staff member with this email exists. Make them a new password link from the list instead."}
	case err != nil:
		return err
	default:
		v.Link, v.LinkFor = &consoleviews.ShownLink{URL: link.URL, Expires: link.ExpiresAt}, st.Email
		return render.HTML(c, http.StatusOK, consoleviews.StaffList(v))
	}
	v.Email, v.Name = email, name
	for i := range v.Roles {
		v.Roles[i].Selected = v.Roles[i].Value == role
	}
	return render.HTML(c, status, consoleviews.StaffList(v))
}

func staffParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

// StaffPasswordLink makes a new set-password link, shown once.
func (con *Handler) StaffPasswordLink(c echo.Context) error {
	id, err := staffParam(c)
	if err != nil {
		return err
	}
	cur, _ := currentStaff(c)
	link, err := con.Staff.NewPasswordLink(c.Request().Context(), con.actor(c, cur), id)
	if err != nil {
		return err
	}
	st, err := con.Store.StaffByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	v, err := con.staffView(c)
	if err != nil {
		return err
	}
	v.Link, v.LinkFor = &consoleviews.ShownLink{URL: link.URL, Expires: link.ExpiresAt}, st.Email
	return render.HTML(c, http.StatusOK, consoleviews.StaffList(v))
}

func (con *Handler) staffAction(c echo.Context, done notice, do func(cur staff.Session, id int64) error) error {
	id, err := staffParam(c)
	if err != nil {
		return err
	}
	cur, _ := currentStaff(c)
	if err := do(cur, id); err != nil {
		return err
	}
	con.flash(c, done, 0)
	return c.Redirect(http.StatusSeeOther, paths.ConsoleStaff())
}

// StaffUnlock lifts a lockout.
func (con *Handler) StaffUnlock(c echo.Context) error {
	return con.staffAction(c, noticeUnlocked, func(cur staff.Session, id int64) error {
		return con.Staff.Unlock(c.Request().Context(), con.actor(c, cur), id)
	})
}

// StaffDisable disables an account; its sessions end at their next request.
func (con *Handler) StaffDisable(c echo.Context) error {
	return con.staffAction(c, noticeDisabled, func(cur staff.Session, id int64) error {
		if id == cur.Staff.ID {
			return echo.NewHTTPError(http.StatusUnprocessableEntity, "you cannot disable yourself")
		}
		return con.Staff.SetDisabled(c.Request().Context(), con.actor(c, cur), id, true)
	})
}

// StaffEnable enables a disabled account again.
func (con *Handler) StaffEnable(c echo.Context) error {
	return con.staffAction(c, noticeEnabled, func(cur staff.Session, id int64) error {
		return con.Staff.SetDisabled(c.Request().Context(), con.actor(c, cur), id, false)
	})
}
