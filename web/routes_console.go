package web

import (
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"reconnect/internal/audit"
	"reconnect/internal/staff"
	"reconnect/web/middleware"
)

// consoleRoutes is the support console's part of the route table. Every
// page is English, every form carries a CSRF token, and the staff cookie is
// the only way in: agents reach the first group, admins also the second.
func (s *Server) consoleRoutes(e *echo.Echo) {
	con := &console{Server: s, audit: audit.New(s.store)}
	con.staff = staff.New(s.store, con.audit, staff.Config{
		BaseURL: s.cfg.PublicBaseURL, PasswordLinkTTL: s.cfg.Console.PasswordLinkTTL,
		IdleTimeout: s.cfg.Console.IdleTimeout, SessionMaxAge: s.cfg.Console.SessionMaxAge,
		MaxFailures: s.cfg.Console.MaxFailures, LockFor: s.cfg.Console.LockFor,
		ImpersonationTTL: s.cfg.Console.ImpersonationTTL,
	})
	// Owner pages ask this first: staff viewing as an owner see the owner's
	// pages read-only, under a banner, and every page lands in the audit log.
	s.impersonation = con.impersonation

	// Middleware goes on each route rather than on groups: Echo gives a
	// group with middleware a catch-all, and three groups on one prefix
	// would fight over it.
	public := []echo.MiddlewareFunc{middleware.CSRF(s.sessions, nil), con.english}
	agent := slices.Concat(public, []echo.MiddlewareFunc{con.requireStaff})
	admin := slices.Concat(agent, []echo.MiddlewareFunc{con.requireAdmin})
	g := e.Group("/console")

	g.GET("/login", con.loginPage, public...)
	g.POST("/login", con.loginSubmit, public...)
	g.GET("/password/:token", con.passwordPage, public...)
	g.POST("/password/:token", con.passwordSubmit, public...)

	g.GET("", con.dashboard, agent...)
	g.POST("/logout", con.logout, agent...)
	g.GET("/search", con.search, agent...)
	g.GET("/owners/:id", con.ownerDetail, agent...)
	g.POST("/owners/:id/send-link", con.linkSend, agent...)
	g.POST("/owners/:id/show-link", con.linkShow, agent...)
	g.POST("/owners/:id/impersonate", con.impersonateStart, agent...)
	g.POST("/impersonation/exit", con.impersonateExit, agent...)

	g.GET("/staff", con.staffList, admin...)
	g.POST("/staff", con.staffCreate, admin...)
	g.POST("/staff/:id/password-link", con.staffPasswordLink, admin...)
	g.POST("/staff/:id/unlock", con.staffUnlock, admin...)
	g.POST("/staff/:id/disable", con.staffDisable, admin...)
	g.POST("/staff/:id/enable", con.staffEnable, admin...)
	g.GET("/audit", con.auditLog, admin...)
	g.GET("/audit.csv", con.auditCSV, admin...)
	g.GET("/webhooks", con.webhookLog, admin...)

	// River UI is a single-page app whose API posts JSON without our form
	// token; it gets cross-origin protection from the browser's fetch
	// metadata instead, behind the same admin check.
	jobs := []echo.MiddlewareFunc{con.english, con.requireStaff, con.requireAdmin, crossOriginProtection, con.auditJobChanges}
	ui := con.jobsHandler()
	g.Any("/jobs", ui, jobs...)
	g.Any("/jobs/*", ui, jobs...)
}

// crossOriginProtection refuses cross-site state-changing requests by
// Sec-Fetch-Site, or Origin against Host where browsers send no metadata.
func crossOriginProtection(next echo.HandlerFunc) echo.HandlerFunc {
	cop := http.NewCrossOriginProtection()
	return func(c echo.Context) error {
		if err := cop.Check(c.Request()); err != nil {
			return middleware.ErrCSRF
		}
		return next(c)
	}
}
