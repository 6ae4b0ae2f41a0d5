// Package api serves the host app's backend: owners, vehicles, links and
// status, and detection's side of the API (reported errors, webhook event
// status, an owner's timeline). Clients present an API key and get JSON.
package api

import (
	"context"
	"log/slog"
	"time"

	"reconnect/internal/campaign"
	"reconnect/internal/erasure"
	"reconnect/internal/i18n"
	"reconnect/internal/ingest"
	"reconnect/internal/links"
	"reconnect/internal/model"
	"reconnect/internal/notify"
	"reconnect/internal/store"
)

// Handler holds what the API uses, and nothing else.
type Handler struct {
	// AppName is said in the status messages for the host's banner.
	AppName string
	// Log notes a download that failed after its header went out.
	Log   *slog.Logger
	Store *store.Store
	// I18n words the status messages in the owner's language.
	I18n  *i18n.Catalog
	Links *links.Service
	// Ingest records reported errors; nil when detection is not running
	// on this instance, and its endpoints answer 503.
	Ingest *ingest.Service
	// Erasure erases an owner's personal data.
	Erasure *erasure.Service
	// Campaigns runs migration campaigns (nil answers 503 on their routes)
	// and says which one a vehicle follows, for the status's campaign
	// object (nil: none is reported).
	Campaigns *campaign.Service
	// Vehicles saves the vehicles the host pushes and runs what follows
	// (lifecycle.Machine); nil saves them through Store alone.
	Vehicles VehicleSaver
	// TimeZone words dates for owners whose own zone is unknown
	// (EMAIL_TIME_ZONE).
	TimeZone *time.Location
	// MailReports records bounces and complaints (notify.Service); nil
	// answers 503.
	MailReports MailReporter
}

// MailReporter records what the host's mail provider reports about an
// email we sent.
type MailReporter interface {
	Report(ctx context.Context, r notify.MailReport) (notify.MailReportResult, error)
}

// VehicleSaver saves an owner's vehicle in tx (its own transaction when
// nil) with its consequences; a car that belonged to another owner changes
// hands first (lifecycle.Machine.SaveOwnedVehicle).
type VehicleSaver interface {
	SaveOwnedVehicle(ctx context.Context, tx *store.Store, in store.VehicleInput, cause model.OwnerChangeCause, source model.Source) (model.Vehicle, error)
}
