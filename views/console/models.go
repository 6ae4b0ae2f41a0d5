// Package console holds the support console's pages and their view models.
// The pages speak the staff member's language: templates translate their
// words with i18n.T; view models carry data, and the handlers translate
// the sentences they build.
package console

import (
	"context"
	"io"
	"time"

	"github.com/a-h/templ"

	"reconnect/internal/i18n"
	"reconnect/internal/useragent"
	"reconnect/views/layouts"
)

// Chrome is what every console page starts from: the layout's page, who is
// signed in and where they are.
type Chrome struct {
	layouts.Page
	// StaffEmail is empty on the pages before sign-in.
	StaffEmail string
	StaffRole  string
	Admin      bool
	// StaffLocale is the console language the staff member chose; empty
	// follows the browser.
	StaffLocale string
	// Here is the page the language choice comes back to.
	Here string
	// Section marks the current navigation item (dashboard, search,
	// campaigns, staff, audit, webhooks).
	Section string
	Flash   string
	// FlashTone is ok, info, warn or danger.
	FlashTone string
}

// Chip is a state badge. Msg, when set, is the catalogue message that
// says Label in the page's language.
type Chip struct {
	Label string
	Tone  string
	Msg   string
}

// Text is the chip's words in the context's language.
func (c Chip) Text(ctx context.Context) string {
	if c.Msg != "" {
		if s := i18n.T(ctx, c.Msg); s != c.Msg {
			return s
		}
	}
	return c.Label
}

// FieldErrors maps a form field to what is wrong with it.
type FieldErrors map[string]string

// LoginView is the sign-in form.
type LoginView struct {
	Chrome
	Email string
	Next  string
	Error string
	// SSOName, when set, offers "Sign in with <SSOName>" (the company's
	// identity provider); PasswordOff hides the password form.
	SSOName     string
	PasswordOff bool
}

// PasswordView is the set-password form behind a one-time link.
type PasswordView struct {
	Chrome
	Action  string
	Email   string
	Invalid bool
	Errors  FieldErrors
}

// StateCount is one tile of the dashboard.
type StateCount struct {
	State string
	Label string
	Tone  string
	Count int64
}

// ChangeRow is a recent detection or reconnect.
type ChangeRow struct {
	At       time.Time
	Vehicle  string
	OwnerURL string
	Chip     Chip
	Source   string
}

// ActiveRow is an impersonation in force.
type ActiveRow struct {
	Staff    string
	Owner    string
	OwnerURL string
	Reason   string
	Until    time.Time
}

// DashboardView is the console's start page.
type DashboardView struct {
	// FailedEvents counts received events that could not be applied;
	// FailedURL (admins only) lists them.
	FailedEvents int64
	FailedURL    string
	Chrome
	Total      int64
	States     []StateCount
	Detections []ChangeRow
	Reconnects []ChangeRow
	Active     []ActiveRow
	// ConfigErrors are Connect's configuration errors over the last days.
	ConfigErrors ConnectErrorBox

	// Migrations are the suspected migrations on the banner.
	Migrations []MigrationAlert
}

// ConnectErrorBox counts one Connect error code over a recent window.
type ConnectErrorBox struct {
	Count int64
	// Days is the window, Last the latest one (nil for none ever).
	Days int
	Last *time.Time
}

// Option is one choice of a select or radio group.
type Option struct {
	Value    string
	Label    string
	Selected bool
}

// SearchRow is one match: an owner with their cars, or a car with its
// owner.
type SearchRow struct {
	OwnerURL   string
	OwnerName  string
	OwnerEmail string
	HostUserID string
	Cars       []SearchCar
	// Match marks the part of the matching field that the query matched.
	Match Highlight
}

// SearchCar is a car in a search result, with its state.
type SearchCar struct {
	Title      string
	VIN        string
	SmartcarID string
	Chip       Chip
	// OwnerChangedAt is when the car changed hands, or may have
	// (OwnerChangeSuspected); nil for neither.
	OwnerChangedAt       *time.Time
	OwnerChangeSuspected bool
}

// Highlight says which field of a result matched and how many of its
// leading bytes the query covered (the whole value for an exact match).
type Highlight struct {
	Field string
	Len   int
}

// Split cuts value into the part a highlight covers and the rest; a value
// of another field is all rest.
func (h Highlight) Split(field, value string) (match, rest string) {
	if h.Field != field || h.Len <= 0 || h.Len > len(value) {
		return "", value
	}
	return value[:h.Len], value[h.Len:]
}

// SearchGroup is the matches of one field.
type SearchGroup struct {
	Field   string
	Heading string
	Rows    []SearchRow
	// NextURL continues this field's matches, when there are more.
	NextURL string
}

// SearchView is the search form and its results.
type SearchView struct {
	Chrome
	Query    string
	Fields   []Option
	Prefix   bool
	Searched bool
	Groups   []SearchGroup
	// FirstURL is shown on later pages, to go back to the start.
	FirstURL string
	Error    string
}

// OwnerInfo is the owner's details.
type OwnerInfo struct {
	ID         int64
	Name       string
	Email      string
	HostUserID string
	Locale     string
	TimeZone   string
	Since      time.Time
}

// VehicleRow is one of the owner's vehicles.
type VehicleRow struct {
	ID         int64
	Title      string
	Nickname   string
	VIN        string
	SmartcarID string
	Chip       Chip
	Reason     string
	Since      time.Time
}

// TimelineRow is one timeline entry.
type TimelineRow struct {
	At      time.Time
	What    string
	Vehicle string
	Source  string
	// Detail is the stored payload, shown behind a disclosure: the
	// sentence is what staff read, the payload what they quote to a developer.
	Detail string
}

// TimelineDay is a day's entries, newest first; days are UTC, as every
// console time is.
type TimelineDay struct {
	Day     string
	Date    string
	Entries []TimelineRow
}

// AddToDay appends r to days, opening a new day when r falls on another
// one than the last; rows arrive newest first.
func AddToDay(days []TimelineDay, r TimelineRow) []TimelineDay {
	date := r.At.UTC().Format("2006-01-02")
	if n := len(days); n > 0 && days[n-1].Date == date {
		days[n-1].Entries = append(days[n-1].Entries, r)
		return days
	}
	return append(days, TimelineDay{Day: r.At.UTC().Format("Monday 2 January 2006"), Date: date, Entries: []TimelineRow{r}})
}

// AuditRow is one audit log entry.
type AuditRow struct {
	ID        int64
	At        time.Time
	Staff     string
	Owner     string
	OwnerURL  string
	Action    string
	Reason    string
	Detail    string
	IP        string
	UserAgent string
	// Agent is what UserAgent (the whole header) says, for the short
	// "Chrome 131 on macOS".
	Agent useragent.Agent
}

// AuditFilter is the audit log's filter as the form shows it: the owner
// (email, host user id or pseudonym), the staff member's email and the
// days, YYYY-MM-DD. OwnerUnknown says no owner has that email or host id.
type AuditFilter struct {
	Owner        string
	OwnerUnknown bool
	StaffEmail   string
	From, To     string
}

// ShownLink is a fresh link shown once, with its short code for the
// phone ("ABCD-EFGH") and the page the owner types it at.
type ShownLink struct {
	URL         string
	Expires     time.Time
	Code        string
	CodeExpires time.Time
	CodeURL     string
}

// OwnerView is the owner detail page.
type OwnerView struct {
	Chrome
	Owner    OwnerInfo
	Vehicles []VehicleRow
	Timeline []TimelineDay
	// TimelineCSVURL downloads the whole timeline.
	TimelineCSVURL string
	OlderURL       string
	Audit          []AuditRow
	// Sees is what the owner's page shows now, car by car.
	Sees OwnerSees
	// EmailReady is false when no mailer is configured.
	EmailReady bool
	HasEmail   bool
	Shown      *ShownLink
	Reason     string
	Errors     FieldErrors
	// Impersonating is true when this staff member is viewing as this owner.
	Impersonating bool
	TTL           string
}

// RefusedView explains that owner actions are refused while viewing as the
// owner and offers a link for the owner instead.
type RefusedView struct {
	Chrome
	OwnerID    int64
	OwnerName  string
	OwnerURL   string
	EmailReady bool
	HasEmail   bool
}

// StaffRow is one staff member.
type StaffRow struct {
	ID         int64
	Email      string
	Name       string
	Role       string
	Status     string
	StatusTone string
	LastLogin  *time.Time
	Locked     bool
	Disabled   bool
	Self       bool
}

// StaffView lists staff and adds new ones.
type StaffView struct {
	Chrome
	Rows   []StaffRow
	Email  string
	Name   string
	Roles  []Option
	Errors FieldErrors
	// Link is a just-made set-password link, shown once.
	Link    *ShownLink
	LinkFor string
}

// AuditView is the audit log.
type AuditView struct {
	Chrome
	Action   string
	Actions  []Option
	Filter   AuditFilter
	Rows     []AuditRow
	OlderURL string
	CSVURL   string
}

// InboundRow is one recorded webhook or reported error.
type InboundRow struct {
	ID          int64
	ReceivedAt  time.Time
	Source      string
	Type        string
	EventID     string
	VehicleID   string
	Status      string
	StatusTone  string
	ProcessedAt *time.Time
	Error       string
}

// OutboundRow is one webhook to the host app.
type OutboundRow struct {
	ID         int64
	CreatedAt  time.Time
	Type       string
	MessageID  string
	URL        string
	Status     string
	StatusTone string
	Attempts   int
	LastCode   int
	LastError  string
	LastTry    *time.Time
}

// WebhooksView is the webhook delivery log.
type WebhooksView struct {
	Chrome
	Direction string
	Status    string
	Statuses  []Option
	Inbound   []InboundRow
	Outbound  []OutboundRow
	OlderURL  string
}

// BannerView is the impersonation banner on every page while staff view as
// an owner.
type BannerView struct {
	Staff       string
	Owner       string
	HostID      string
	Reason      string
	Until       time.Time
	MinutesLeft int
	CSRF        string
	OwnerURL    string
}

// FailedEventsView lists received events that could not be applied.
type FailedEventsView struct {
	Chrome
	CSRF     string
	Rows     []FailedEventRow
	OlderURL string
	// CanRetry is false when retrying is not wired (no processor).
	CanRetry bool
}

// FailedEventRow is one event that failed for good.
type FailedEventRow struct {
	ID         int64
	ReceivedAt time.Time
	FailedAt   *time.Time
	Source     string
	Type       string
	EventID    string
	VehicleID  string // Smartcar's id
	Vehicle    string // our name for it, when we know the car
	OwnerURL   string
	Error      string
	RetryURL   string
}

// InLanguage renders c in l's language whatever the page's: the
// impersonation banner speaks the staff member's language on the owner's
// pages, which speak the owner's.
func InLanguage(l *i18n.Localizer, c templ.Component) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		return c.Render(i18n.WithLocalizer(ctx, l), w)
	})
}
