// Package paths is every address the app serves, declared once: the route
// patterns web/routes.go registers, and the builders that templates,
// handlers and emails make links with. It imports nothing but the standard
// library, so any package may use it, down to the email composer.
package paths

import (
	"net/url"
	"strconv"
	"strings"
)

// Route patterns, in Echo's syntax, grouped by audience. routes.go
// registers exactly these; a test checks that every builder below lands on
// one of them.
const (
	// Operations.
	RouteHealthz = "/healthz"
	RouteReadyz  = "/readyz"
	RouteMetrics = "/metrics"
	RouteOpenAPI = "/api/v1/openapi.json"

	// The host app's API, relative to RouteAPI.
	RouteAPI            = "/api/v1"
	RouteAPIOwner       = "/owners/:host_user_id"
	RouteAPIVehicle     = "/owners/:host_user_id/vehicles/:vehicle_id"
	RouteAPIOwnerStatus = "/owners/:host_user_id/status"
	RouteAPIOwnerEvents = "/owners/:host_user_id/events"
	// RouteAPIOwnerEventsCSV is the same timeline as a CSV download.
	RouteAPIOwnerEventsCSV = "/owners/:host_user_id/events.csv"
	RouteAPILinks          = "/links"
	RouteAPIErrors         = "/errors"
	RouteAPIWebhookEvent   = "/webhook-events/:eventId"
	// Migration campaigns, and the host's own re-authentications.
	RouteAPICampaigns              = "/campaigns"
	RouteAPICampaign               = "/campaigns/:id"
	RouteAPICampaignLaunch         = "/campaigns/:id/launch"
	RouteAPICampaignPause          = "/campaigns/:id/pause"
	RouteAPICampaignResume         = "/campaigns/:id/resume"
	RouteAPICampaignCancel         = "/campaigns/:id/cancel"
	RouteAPICampaignVehiclesCSV    = "/campaigns/:id/vehicles.csv"
	RouteAPICampaignFunnel         = "/campaigns/:id/funnel"
	RouteAPIVehicleReauthenticated = "/vehicles/:vehicle_id/reauthenticated"
	// RouteAPIEmailEvents takes bounces and complaints from the host's
	// mail provider.
	RouteAPIEmailEvents = "/email-events"

	// Smartcar's webhook deliveries.
	RouteSmartcarWebhook = "/webhooks/smartcar"

	// APITree and WebhookTree hold the addresses only machines call; an
	// error there is answered in JSON.
	APITree     = RouteAPI + "/"
	WebhookTree = "/webhooks/"

	// Owners and everyone else who follows a link from an email.
	RouteHome             = "/"
	RouteLanguage         = "/language"
	RouteLink             = "/l/:token"
	RouteLinkRenew        = "/l/:token/renew"
	RouteLinkResend       = "/links/resend"
	RouteCode             = "/code" // the short code support read out over the phone
	RouteOwnerPage        = "/me"
	RouteVehicleReconnect = "/me/vehicles/:id/reconnect"
	RouteVehicleDecline   = "/me/vehicles/:id/decline"
	RouteConnectCallback  = "/connect/callback"
	RouteUnsubscribe      = "/unsubscribe/:token"
	// The host's brand (logo, colour): files named after their content.
	RouteBrandAsset = "/brand/:file"

	// The demo's development inbox.
	RouteDevInbox        = "/dev/inbox"
	RouteDevInboxMessage = "/dev/inbox/:id"
	RouteDevInboxHTML    = "/dev/inbox/:id/html"
	RouteDevInboxRaw     = "/dev/inbox/:id/raw"

	// The support console.
	RouteConsole                  = "/console"
	RouteConsoleLogin             = "/console/login"
	RouteConsolePassword          = "/console/password/:token"
	RouteConsoleLogout            = "/console/logout"
	RouteConsoleLanguage          = "/console/language"
	RouteConsoleSearch            = "/console/search"
	RouteConsoleOwner             = "/console/owners/:id"
	RouteConsoleOwnerSendLink     = "/console/owners/:id/send-link"
	RouteConsoleOwnerEventsCSV    = "/console/owners/:id/events.csv"
	RouteConsoleOwnerShowLink     = "/console/owners/:id/show-link"
	RouteConsoleOwnerImpersonate  = "/console/owners/:id/impersonate"
	RouteConsoleImpersonationExit = "/console/impersonation/exit"
	RouteConsoleStaff             = "/console/staff"
	RouteConsoleStaffPasswordLink = "/console/staff/:id/password-link"
	RouteConsoleStaffUnlock       = "/console/staff/:id/unlock"
	RouteConsoleStaffDisable      = "/console/staff/:id/disable"
	RouteConsoleStaffEnable       = "/console/staff/:id/enable"
	RouteConsoleAudit             = "/console/audit"
	RouteConsoleAuditCSV          = "/console/audit.csv"
	RouteConsoleWebhooks          = "/console/webhooks"
	RouteConsoleFailedEvents      = "/console/failed-events"
	RouteConsoleFailedEventRetry  = "/console/failed-events/:id/retry"
	// Owners who could not reconnect on their own.
	RouteConsoleNeedsPerson = "/console/needs-a-person"
	// Migration campaigns: agents read them, admins define and move them.
	// The four moves share one shape: GET asks to confirm, POST does it.
	RouteConsoleCampaigns         = "/console/campaigns"
	RouteConsoleCampaignNew       = "/console/campaigns/new"
	RouteConsoleCampaign          = "/console/campaigns/:id"
	RouteConsoleCampaignNotices   = "/console/campaigns/:id/notices"
	RouteConsoleCampaignTestEmail = "/console/campaigns/:id/test-email"
	RouteConsoleCampaignLaunch    = "/console/campaigns/:id/launch"
	RouteConsoleCampaignPause     = "/console/campaigns/:id/pause"
	RouteConsoleCampaignResume    = "/console/campaigns/:id/resume"
	RouteConsoleCampaignCancel    = "/console/campaigns/:id/cancel"
	// A campaign's funnel, and its vehicles as CSV (agents read both).
	RouteConsoleCampaignFunnel      = "/console/campaigns/:id/funnel"
	RouteConsoleCampaignVehiclesCSV = "/console/campaigns/:id/vehicles.csv"
	// RouteConsoleCampaignFollowUp emails the owners who have not
	// finished, ahead of the schedule.
	RouteConsoleCampaignFollowUp = "/console/campaigns/:id/follow-up"
	// ConsoleJobs is where River UI, the job queue dashboard, is mounted;
	// River UI serves everything below it.
	ConsoleJobs          = "/console/jobs"
	RouteConsoleJobs     = ConsoleJobs
	RouteConsoleJobsTree = ConsoleJobs + "/*"
)

func id(n int64) string { return strconv.FormatInt(n, 10) }

// Home is the landing page for visitors without a link.
func Home() string { return RouteHome }

// Language is where the language switcher posts.
func Language() string { return RouteLanguage }

// Link is an owner link; the token is its only credential.
func Link(token string) string { return "/l/" + token }

// LinkRenew emails the owner of an expired link a fresh one, in one click.
func LinkRenew(token string) string { return Link(token) + "/renew" }

// LinkResend is where an owner asks for a fresh link.
func LinkResend() string { return RouteLinkResend }

// Code is where an owner types the short code support read out to them.
func Code() string { return RouteCode }

// OwnerPage lists the signed-in owner's vehicles.
func OwnerPage() string { return RouteOwnerPage }

// OwnerVehicle is the owner page scrolled to one vehicle.
func OwnerVehicle(vehicleID int64) string { return RouteOwnerPage + "#vehicle-" + id(vehicleID) }

// VehicleReconnect starts a trip to Smartcar Connect for a vehicle.
func VehicleReconnect(vehicleID int64) string { return "/me/vehicles/" + id(vehicleID) + "/reconnect" }

// VehicleDecline asks, and records, why the owner will not reconnect.
func VehicleDecline(vehicleID int64) string { return "/me/vehicles/" + id(vehicleID) + "/decline" }

// ConnectCallback is where Smartcar Connect sends the owner back.
func ConnectCallback() string { return RouteConnectCallback }

// Unsubscribe is the unsubscribe link in every email.
func Unsubscribe(token string) string { return "/unsubscribe/" + token }

// BrandAsset is one of the host's brand files, by its content-hashed name.
func BrandAsset(file string) string { return "/brand/" + file }

// DevInbox lists what the demo's SMTP server received.
func DevInbox() string { return RouteDevInbox }

// DevInboxMessage shows one received message.
func DevInboxMessage(msgID int) string { return RouteDevInbox + "/" + strconv.Itoa(msgID) }

// DevInboxHTML is a received message's HTML part.
func DevInboxHTML(msgID int) string { return DevInboxMessage(msgID) + "/html" }

// DevInboxRaw is a received message's source.
func DevInboxRaw(msgID int) string { return DevInboxMessage(msgID) + "/raw" }

// Console is the console's dashboard.
func Console() string { return RouteConsole }

// ConsoleLogin is the sign-in page; next, when set, is where to go after.
func ConsoleLogin(next string) string {
	if next == "" || next == RouteConsole {
		return RouteConsoleLogin
	}
	return RouteConsoleLogin + "?next=" + url.QueryEscape(next)
}

// ConsoleLoginAs is the sign-in page with the email filled in.
func ConsoleLoginAs(email string) string {
	return RouteConsoleLogin + "?email=" + url.QueryEscape(email)
}

// ConsolePasswordPrefix is where set-password links point, before the token.
const ConsolePasswordPrefix = "/console/password/"

// ConsolePassword is a staff member's one-time set-password link.
func ConsolePassword(token string) string { return ConsolePasswordPrefix + token }

// ConsoleLogout signs staff out.
func ConsoleLogout() string { return RouteConsoleLogout }

// ConsoleLanguage stores the signed-in staff member's console language.
func ConsoleLanguage() string { return RouteConsoleLanguage }

// ConsoleSearch finds owners and vehicles; q is the query string, if any.
func ConsoleSearch(q url.Values) string { return withQuery(RouteConsoleSearch, q) }

// ConsoleOwner is an owner's page in the console.
func ConsoleOwner(ownerID int64) string { return "/console/owners/" + id(ownerID) }

// ConsoleOwnerEventsCSV is the owner's timeline as a CSV download.
func ConsoleOwnerEventsCSV(ownerID int64) string { return ConsoleOwner(ownerID) + "/events.csv" }

// ConsoleOwnerSendLink emails the owner a fresh link.
func ConsoleOwnerSendLink(ownerID int64) string { return ConsoleOwner(ownerID) + "/send-link" }

// ConsoleOwnerShowLink shows a fresh link once.
func ConsoleOwnerShowLink(ownerID int64) string { return ConsoleOwner(ownerID) + "/show-link" }

// ConsoleOwnerImpersonate begins viewing as the owner.
func ConsoleOwnerImpersonate(ownerID int64) string { return ConsoleOwner(ownerID) + "/impersonate" }

// ConsoleImpersonationExit ends viewing as an owner.
func ConsoleImpersonationExit() string { return RouteConsoleImpersonationExit }

// ConsoleStaff lists the team.
func ConsoleStaff() string { return RouteConsoleStaff }

// ConsoleStaffPasswordLink makes a staff member a new set-password link.
func ConsoleStaffPasswordLink(staffID int64) string { return consoleStaff(staffID, "/password-link") }

// ConsoleStaffUnlock lifts a staff member's lockout.
func ConsoleStaffUnlock(staffID int64) string { return consoleStaff(staffID, "/unlock") }

// ConsoleStaffDisable disables a staff member's account.
func ConsoleStaffDisable(staffID int64) string { return consoleStaff(staffID, "/disable") }

// ConsoleStaffEnable enables a staff member's account again.
func ConsoleStaffEnable(staffID int64) string { return consoleStaff(staffID, "/enable") }

func consoleStaff(staffID int64, action string) string {
	return RouteConsoleStaff + "/" + id(staffID) + action
}

// ConsoleAudit is the audit log, filtered by q.
func ConsoleAudit(q url.Values) string { return withQuery(RouteConsoleAudit, q) }

// ConsoleAuditCSV is the filtered audit log as CSV; it always carries a
// query string, possibly empty, as the export link always has.
func ConsoleAuditCSV(q url.Values) string { return RouteConsoleAuditCSV + "?" + q.Encode() }

// ConsoleWebhooks is the webhook delivery log, filtered by q.
func ConsoleWebhooks(q url.Values) string { return withQuery(RouteConsoleWebhooks, q) }

// ConsoleFailedEvents lists received events that could not be applied,
// filtered by q (paging).
func ConsoleFailedEvents(q url.Values) string { return withQuery(RouteConsoleFailedEvents, q) }

// ConsoleFailedEventRetry puts one failed event back in line.
func ConsoleFailedEventRetry(inboxID int64) string {
	return RouteConsoleFailedEvents + "/" + id(inboxID) + "/retry"
}

// ConsoleCampaigns lists campaigns; q carries the page (before), if any.
// The create form posts here too.
func ConsoleCampaigns(q url.Values) string { return withQuery(RouteConsoleCampaigns, q) }

// ConsoleCampaignNew is the form that defines a campaign.
func ConsoleCampaignNew() string { return RouteConsoleCampaignNew }

// ConsoleCampaignNewFromAlert is the same form prefilled from a suspected
// migration (its make, its first break as the cut-over).
func ConsoleCampaignNewFromAlert(alertID int64) string {
	return withQuery(RouteConsoleCampaignNew, url.Values{"suspected": {id(alertID)}})
}

// ConsoleNeedsPerson is the "Needs a person" queue; q carries the campaign
// filter and the page (before), if any.
func ConsoleNeedsPerson(q url.Values) string { return withQuery(RouteConsoleNeedsPerson, q) }

// ConsoleCampaign is a campaign's page; q carries the vehicle search and
// page (q, after), if any.
func ConsoleCampaign(campaignID int64, q url.Values) string {
	return withQuery(RouteConsoleCampaigns+"/"+id(campaignID), q)
}

// ConsoleCampaignNotices previews a campaign's notices in each language.
func ConsoleCampaignNotices(campaignID int64) string { return consoleCampaign(campaignID, "/notices") }

// ConsoleCampaignTestEmail emails the notice preview to the staff member.
func ConsoleCampaignTestEmail(campaignID int64) string {
	return consoleCampaign(campaignID, "/test-email")
}

// ConsoleCampaignMove is where a campaign is launched, paused, resumed or
// cancelled: move is one of launch, pause, resume, cancel (GET confirms,
// POST acts).
func ConsoleCampaignMove(campaignID int64, move string) string {
	return consoleCampaign(campaignID, "/"+move)
}

// ConsoleCampaignFunnel is a campaign's funnel page; q carries its
// filters (wave, model, country), if any.
func ConsoleCampaignFunnel(campaignID int64, q url.Values) string {
	return withQuery(consoleCampaign(campaignID, "/funnel"), q)
}

// ConsoleCampaignVehiclesCSV downloads a campaign's vehicles as CSV.
func ConsoleCampaignVehiclesCSV(campaignID int64) string {
	return consoleCampaign(campaignID, "/vehicles.csv")
}

func consoleCampaign(campaignID int64, action string) string {
	return RouteConsoleCampaigns + "/" + id(campaignID) + action
}

// ConsoleJobsHome is River UI's start page.
func ConsoleJobsHome() string { return ConsoleJobs + "/" }

func withQuery(p string, q url.Values) string {
	if len(q) == 0 {
		return p
	}
	return p + "?" + q.Encode()
}

// SafeNext accepts only a local path, so a form's "next" field can never
// send anyone to another site.
func SafeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return RouteHome
	}
	return next
}

// Staff sign-in through the company's OpenID Connect provider: the button
// posts to the start, and the provider sends the browser back to the
// callback (registered with the provider as PUBLIC_BASE_URL + this path).
const (
	RouteConsoleOIDCStart    = "/console/oidc/start"
	RouteConsoleOIDCCallback = "/console/oidc/callback"
)

// ConsoleOIDCStart begins a sign-in at the identity provider.
func ConsoleOIDCStart() string { return RouteConsoleOIDCStart }

// ConsoleOIDCCallback is where the identity provider sends staff back.
func ConsoleOIDCCallback() string { return RouteConsoleOIDCCallback }
