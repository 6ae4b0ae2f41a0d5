package web

import (
	"slices"

	"github.com/labstack/echo/v4"

	"reconnect/static"
	"reconnect/web/middleware"
	"reconnect/web/paths"
)

// routes is the route table: every address the app serves, grouped by
// audience, each behind its audience's middleware and named after it. The
// patterns come from web/paths, where links are built from the same names.
func (s *Server) routes(h handlers) {
	e := s.e

	// Operations: no session, no CSRF.
	e.GET(paths.RouteHealthz, s.healthz).Name = "ops.healthz"
	e.GET(paths.RouteReadyz, s.readyz).Name = "ops.readyz"
	e.GET(paths.RouteMetrics, s.metrics).Name = "ops.metrics"
	e.GET(static.Prefix+"*", echo.WrapHandler(static.Handler())).Name = "ops.static"
	e.GET(paths.RouteOpenAPI, s.openAPIDoc).Name = "ops.openapi"
	e.GET(paths.RouteBrandAsset, h.brand.Serve).Name = "ops.brand"

	// The host app's backend: API key, JSON, no cookies and so no CSRF.
	api := e.Group(paths.RouteAPI, h.api.RequireKey)
	api.PUT(paths.RouteAPIOwner, h.api.OwnerPut).Name = "api.owner_put"
	api.DELETE(paths.RouteAPIOwner, h.api.OwnerDelete).Name = "api.owner_delete"
	api.PUT(paths.RouteAPIVehicle, h.api.VehiclePut).Name = "api.vehicle_put"
	api.GET(paths.RouteAPIOwnerStatus, h.api.OwnerStatus).Name = "api.owner_status"
	api.POST(paths.RouteAPILinks, h.api.LinkCreate).Name = "api.link_create"
	// Detection: the host reports the errors it got and reads back events.
	api.POST(paths.RouteAPIErrors, h.api.ErrorReport).Name = "api.error_report"
	api.GET(paths.RouteAPIWebhookEvent, h.api.WebhookEvent).Name = "api.webhook_event"
	api.GET(paths.RouteAPIOwnerEvents, h.api.OwnerEvents).Name = "api.owner_events"
	api.GET(paths.RouteAPIOwnerEventsCSV, h.api.OwnerEventsCSV).Name = "api.owner_events_csv"
	// Migration campaigns: define, preview, launch and follow them; the
	// host reports re-authentications it ran itself.
	api.POST(paths.RouteAPICampaigns, h.api.CampaignCreate).Name = "api.campaign_create"
	api.GET(paths.RouteAPICampaigns, h.api.CampaignList).Name = "api.campaign_list"
	api.GET(paths.RouteAPICampaign, h.api.CampaignGet).Name = "api.campaign_get"
	api.PATCH(paths.RouteAPICampaign, h.api.CampaignUpdate).Name = "api.campaign_update"
	api.POST(paths.RouteAPICampaignLaunch, h.api.CampaignLaunch).Name = "api.campaign_launch"
	api.POST(paths.RouteAPICampaignPause, h.api.CampaignPause).Name = "api.campaign_pause"
	api.POST(paths.RouteAPICampaignResume, h.api.CampaignResume).Name = "api.campaign_resume"
	api.POST(paths.RouteAPICampaignCancel, h.api.CampaignCancel).Name = "api.campaign_cancel"
	// A list of up to a million lines: its own 64 MiB limit (server.go
	// exempts it from MAX_BODY_BYTES), read as a stream.
	api.POST(paths.RouteAPICampaignVehiclesCSV, h.api.CampaignVehiclesUpload).Name = "api.campaign_vehicles_upload"
	api.GET(paths.RouteAPICampaignVehiclesCSV, h.api.CampaignVehiclesCSV).Name = "api.campaign_vehicles_csv"
	api.GET(paths.RouteAPICampaignFunnel, h.api.CampaignFunnel).Name = "api.campaign_funnel"
	api.POST(paths.RouteAPIVehicleReauthenticated, h.api.VehicleReauthenticated).Name = "api.vehicle_reauthenticated"
	api.POST(paths.RouteAPIEmailEvents, h.api.EmailEvents).Name = "api.email_events"

	// Smartcar signs its deliveries; there is no session, so no CSRF.
	e.POST(paths.RouteSmartcarWebhook, h.webhook.SmartcarReceive).Name = "webhook.smartcar"

	// Pages for people: in the visitor's language, and every state-changing
	// form carries a CSRF token, and every field is clean text.
	// Machines (webhooks, API) skip all three; the API checks its JSON.
	pages := e.Group("", middleware.Localize(h.i18n, h.sessions), middleware.CSRF(h.sessions, nil), middleware.TextInput)
	pages.GET(paths.RouteHome, h.owner.HomePage).Name = "owner.home"
	pages.POST(paths.RouteLanguage, h.owner.LanguageSubmit).Name = "owner.language"

	// Owners: a link opens a session scoped to one owner.
	pages.GET(paths.RouteLink, h.owner.LinkLanding).Name = "owner.link"
	pages.POST(paths.RouteLink, h.owner.LinkContinue).Name = "owner.link_continue"
	pages.POST(paths.RouteLinkRenew, h.owner.LinkRenew).Name = "owner.link_renew"
	pages.POST(paths.RouteLinkResend, h.owner.LinkResend).Name = "owner.link_resend"
	// The short code support read out over the phone opens the page too.
	pages.GET(paths.RouteCode, h.owner.CodePage).Name = "owner.code"
	pages.POST(paths.RouteCode, h.owner.CodeSubmit).Name = "owner.code_submit"
	pages.GET(paths.RouteOwnerPage, h.owner.OwnerPage).Name = "owner.page"
	pages.POST(paths.RouteVehicleReconnect, h.owner.VehicleReconnect).Name = "owner.vehicle_reconnect"
	pages.GET(paths.RouteVehicleDecline, h.owner.VehicleDeclinePage).Name = "owner.vehicle_decline"
	pages.POST(paths.RouteVehicleDecline, h.owner.VehicleDeclineSubmit).Name = "owner.vehicle_decline_submit"
	// Smartcar Connect sends the owner back here (a cross-site GET, which the
	// Lax session cookie allows).
	pages.GET(paths.RouteConnectCallback, h.owner.ConnectCallback).Name = "owner.connect_callback"

	// The links in emails.
	pages.GET(paths.RouteUnsubscribe, h.owner.UnsubscribePage).Name = "owner.unsubscribe"
	// Outside the CSRF group: the RFC 8058 one-click POST comes from the
	// mail provider's servers with no cookie and no CSRF token. The 256-bit
	// token in the path is the credential, and a repeat changes nothing.
	e.POST(paths.RouteUnsubscribe, h.owner.UnsubscribeSubmit).Name = "owner.unsubscribe_submit"

	// In demo mode, the inbox of the in-process SMTP server.
	if h.devInbox != nil {
		pages.GET(paths.RouteDevInbox, h.devInbox.List).Name = "devinbox.list"
		pages.GET(paths.RouteDevInboxMessage, h.devInbox.Message).Name = "devinbox.message"
		pages.GET(paths.RouteDevInboxHTML, h.devInbox.HTML).Name = "devinbox.html"
		pages.GET(paths.RouteDevInboxRaw, h.devInbox.Raw).Name = "devinbox.raw"
	}

	// Support staff: their own cookie, roles, and an audit trail. Every
	// page speaks the staff member's language (their choice, else their
	// browser's), every form carries a CSRF token, and the staff
	// cookie is the only way in: agents reach the second group, admins
	// also the third.
	//
	// Middleware goes on each route rather than on groups: Echo gives a
	// group with middleware a catch-all, and three groups on one prefix
	// would fight over it.
	con := h.console
	public := []echo.MiddlewareFunc{middleware.CSRF(h.sessions, nil), con.Localize, middleware.TextInput}
	agent := slices.Concat(public, []echo.MiddlewareFunc{con.RequireStaff})
	admin := slices.Concat(agent, []echo.MiddlewareFunc{con.RequireAdmin})

	// Passwords answer 404 when STAFF_PASSWORD_LOGIN=false.
	password := slices.Concat(public, []echo.MiddlewareFunc{con.RequirePasswordLogin})
	e.GET(paths.RouteConsoleLogin, con.LoginPage, public...).Name = "console.login"
	e.POST(paths.RouteConsoleLogin, con.LoginSubmit, password...).Name = "console.login_submit"
	e.GET(paths.RouteConsolePassword, con.PasswordPage, password...).Name = "console.password"
	e.POST(paths.RouteConsolePassword, con.PasswordSubmit, password...).Name = "console.password_submit"
	// Sign-in through the company's identity provider (404 when none is
	// configured): the button posts with the form token; the provider
	// sends the browser back with a cross-site GET, which the Lax cookie
	// holding the sign-in's state allows.
	e.POST(paths.RouteConsoleOIDCStart, con.OIDCStart, public...).Name = "console.oidc_start"
	e.GET(paths.RouteConsoleOIDCCallback, con.OIDCCallback, public...).Name = "console.oidc_callback"

	e.GET(paths.RouteConsole, con.Dashboard, agent...).Name = "console.dashboard"
	e.POST(paths.RouteConsoleLogout, con.Logout, agent...).Name = "console.logout"
	e.POST(paths.RouteConsoleLanguage, con.LanguageSubmit, agent...).Name = "console.language"
	e.GET(paths.RouteConsoleSearch, con.Search, agent...).Name = "console.search"
	e.GET(paths.RouteConsoleOwner, con.OwnerDetail, agent...).Name = "console.owner"
	e.GET(paths.RouteConsoleOwnerEventsCSV, con.OwnerEventsCSV, agent...).Name = "console.owner_events_csv"
	e.POST(paths.RouteConsoleOwnerSendLink, con.LinkSend, agent...).Name = "console.owner_send_link"
	e.POST(paths.RouteConsoleOwnerShowLink, con.LinkShow, agent...).Name = "console.owner_show_link"
	e.POST(paths.RouteConsoleOwnerImpersonate, con.ImpersonateStart, agent...).Name = "console.impersonate"
	e.POST(paths.RouteConsoleImpersonationExit, con.ImpersonateExit, agent...).Name = "console.impersonation_exit"
	// Owners who could not reconnect on their own.
	e.GET(paths.RouteConsoleNeedsPerson, con.NeedsPerson, agent...).Name = "console.needs_person"

	// Migration campaigns: agents read the list, a campaign and its notice
	// preview; admins define them, email themselves a test, and launch,
	// pause, resume or cancel them, each behind a confirmation (GET asks,
	// POST acts).
	e.GET(paths.RouteConsoleCampaigns, con.CampaignList, agent...).Name = "console.campaigns"
	e.GET(paths.RouteConsoleCampaign, con.CampaignPage, agent...).Name = "console.campaign"
	e.GET(paths.RouteConsoleCampaignNotices, con.CampaignNotices, agent...).Name = "console.campaign_notices"
	e.GET(paths.RouteConsoleCampaignFunnel, con.CampaignFunnel, agent...).Name = "console.campaign_funnel"
	e.GET(paths.RouteConsoleCampaignVehiclesCSV, con.CampaignVehiclesCSV, agent...).Name = "console.campaign_vehicles_csv"
	e.GET(paths.RouteConsoleCampaignNew, con.CampaignNew, admin...).Name = "console.campaign_new"
	e.POST(paths.RouteConsoleCampaigns, con.CampaignCreate, admin...).Name = "console.campaign_create"
	e.POST(paths.RouteConsoleCampaignTestEmail, con.CampaignTestEmail, admin...).Name = "console.campaign_test_email"
	e.GET(paths.RouteConsoleCampaignLaunch, con.CampaignLaunchConfirm, admin...).Name = "console.campaign_launch_confirm"
	e.POST(paths.RouteConsoleCampaignLaunch, con.CampaignLaunch, admin...).Name = "console.campaign_launch"
	e.GET(paths.RouteConsoleCampaignPause, con.CampaignPauseConfirm, admin...).Name = "console.campaign_pause_confirm"
	e.POST(paths.RouteConsoleCampaignPause, con.CampaignPause, admin...).Name = "console.campaign_pause"
	e.GET(paths.RouteConsoleCampaignResume, con.CampaignResumeConfirm, admin...).Name = "console.campaign_resume_confirm"
	e.POST(paths.RouteConsoleCampaignResume, con.CampaignResume, admin...).Name = "console.campaign_resume"
	e.GET(paths.RouteConsoleCampaignCancel, con.CampaignCancelConfirm, admin...).Name = "console.campaign_cancel_confirm"
	e.POST(paths.RouteConsoleCampaignCancel, con.CampaignCancel, admin...).Name = "console.campaign_cancel"
	e.GET(paths.RouteConsoleCampaignFollowUp, con.CampaignFollowUpConfirm, admin...).Name = "console.campaign_follow_up_confirm"
	e.POST(paths.RouteConsoleCampaignFollowUp, con.CampaignFollowUp, admin...).Name = "console.campaign_follow_up"

	e.GET(paths.RouteConsoleStaff, con.StaffList, admin...).Name = "console.staff"
	e.POST(paths.RouteConsoleStaff, con.StaffCreate, admin...).Name = "console.staff_create"
	e.POST(paths.RouteConsoleStaffPasswordLink, con.StaffPasswordLink, admin...).Name = "console.staff_password_link"
	e.POST(paths.RouteConsoleStaffUnlock, con.StaffUnlock, admin...).Name = "console.staff_unlock"
	e.POST(paths.RouteConsoleStaffDisable, con.StaffDisable, admin...).Name = "console.staff_disable"
	e.POST(paths.RouteConsoleStaffEnable, con.StaffEnable, admin...).Name = "console.staff_enable"
	e.GET(paths.RouteConsoleAudit, con.AuditLog, admin...).Name = "console.audit"
	e.GET(paths.RouteConsoleAuditCSV, con.AuditCSV, admin...).Name = "console.audit_csv"
	e.GET(paths.RouteConsoleWebhooks, con.WebhookLog, admin...).Name = "console.webhooks"
	e.GET(paths.RouteConsoleFailedEvents, con.FailedEvents, admin...).Name = "console.failed_events"
	e.POST(paths.RouteConsoleFailedEventRetry, con.FailedEventRetry, admin...).Name = "console.failed_event_retry"

	// River UI is a single-page app whose API posts JSON without our form
	// token; it gets cross-origin protection from the browser's fetch
	// metadata instead, behind the same admin check.
	jobs := []echo.MiddlewareFunc{con.Localize, con.RequireStaff, con.RequireAdmin, middleware.CrossOriginProtection, con.AuditJobChanges, con.JobsBackLink}
	ui := con.JobsUI()
	for _, r := range e.Any(paths.RouteConsoleJobs, ui, jobs...) {
		r.Name = "console.jobs"
	}
	for _, r := range e.Any(paths.RouteConsoleJobsTree, ui, jobs...) {
		r.Name = "console.jobs"
	}
}
