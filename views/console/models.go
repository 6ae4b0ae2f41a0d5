// Package console holds the support console's pages and their view models.
// The console is in English; every string here is final text.
package console

import (
	"time"

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
	// Section marks the current navigation item (dashboard, search, staff,
	// audit, webhooks).
	Section string
	Flash   string
	// FlashTone is ok, info, warn or danger.
	FlashTone string
}

// Chip is a state badge.
type Chip struct {
	Label string
	Tone  string
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
}

// Option is one choice of a select or radio group.
type Option struct {
	Value    string
	Label    string
	Selected bool
}

// SearchRow is one match.
type SearchRow struct {
	OwnerURL   string
	OwnerName  string
	OwnerEmail string
	HostUserID string
	Vehicle    string
	VIN        string
	SmartcarID string
	Chip       *Chip
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
	Detail  string
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
}

// ShownLink is a fresh link shown once.
type ShownLink struct {
	URL     string
	Expires time.Time
}

// OwnerView is the owner detail page.
type OwnerView struct {
	Chrome
	Owner    OwnerInfo
	Vehicles []VehicleRow
	Timeline []TimelineRow
	OlderURL string
	Audit    []AuditRow
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
	OwnerID  string
	StaffID  string
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
