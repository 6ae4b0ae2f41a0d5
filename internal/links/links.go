// Package links mints and resolves the signed links that let an owner in
// without an account: random tokens of 256 bits, stored only as a hash.
package links

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/web/paths"
)

// Status is what a link can still do.
type Status int

// Link statuses, as the landing page explains them.
const (
	Valid Status = iota
	// AlreadyFixed: the link still works, but the vehicle it names is connected.
	AlreadyFixed
	Expired
	Used
	Unknown
)

// Usable reports whether the link can open a session.
func (s Status) Usable() bool { return s == Valid || s == AlreadyFixed }

// StaffShownTTL is how long a link shown to support staff works.
const StaffShownTTL = 15 * time.Minute

// ErrReturnURL means a return URL is not on the allow-list.
var ErrReturnURL = errors.New("links: return URL is not on the allow-list")

// Service mints and resolves links.
type Service struct {
	store    *store.Store
	baseURL  string
	allowed  []string
	emailTTL time.Duration
	inAppTTL time.Duration
}

// Config tells the service where links point and how long they live.
type Config struct {
	PublicBaseURL string
	AllowedReturn []string // origins
	EmailTTL      time.Duration
	InAppTTL      time.Duration
}

// New returns a link service.
func New(s *store.Store, cfg Config) *Service {
	allowed := make([]string, 0, len(cfg.AllowedReturn))
	for _, o := range cfg.AllowedReturn {
		if u, err := url.Parse(strings.TrimSpace(o)); err == nil && u.Host != "" {
			allowed = append(allowed, strings.ToLower(u.Scheme+"://"+u.Host))
		}
	}
	return &Service{store: s, baseURL: strings.TrimRight(cfg.PublicBaseURL, "/"), allowed: allowed,
		emailTTL: cfg.EmailTTL, inAppTTL: cfg.InAppTTL}
}

// ReturnURLAllowed reports whether u may be used as "Back to <app>": an
// absolute http(s) URL, no credentials, whose origin is on the allow-list.
func (s *Service) ReturnURLAllowed(raw string) bool {
	if raw == "" {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return false
	}
	if strings.ContainsAny(raw, "\\\r\n\t ") {
		return false
	}
	origin := strings.ToLower(u.Scheme + "://" + u.Host)
	for _, a := range s.allowed {
		if a == origin {
			return true
		}
	}
	return false
}

// Mint is a request for a new link.
type Mint struct {
	OwnerID   int64
	VehicleID *int64
	Purpose   model.LinkPurpose
	ReturnURL string
	Source    model.Source
	SourceRef string
}

// Minted is a new link: URL holds the only copy of the token.
type Minted struct {
	URL       string
	Token     string
	Link      store.OwnerLink
	ExpiresAt time.Time
}

// Mint creates a link in tx (or the service's store when tx is nil).
func (s *Service) Mint(ctx context.Context, tx *store.Store, m Mint) (Minted, error) {
	if tx == nil {
		tx = s.store
	}
	if m.ReturnURL != "" && !s.ReturnURLAllowed(m.ReturnURL) {
		return Minted{}, ErrReturnURL
	}
	ttl := s.emailTTL
	switch m.Purpose {
	case model.PurposeEmail:
	case model.PurposeInApp:
		ttl = s.inAppTTL
	case model.PurposeStaffShown:
		ttl = StaffShownTTL
	default:
		return Minted{}, fmt.Errorf("links: purpose %q: %w", m.Purpose, store.ErrInvalid)
	}
	token := store.NewSecret("")
	l, err := tx.CreateLink(ctx, store.OwnerLink{
		TokenHash: store.HashSecret(token), OwnerID: m.OwnerID, VehicleID: m.VehicleID, Purpose: m.Purpose,
		ReturnURL: m.ReturnURL, Source: m.Source, SourceRef: m.SourceRef, ExpiresAt: tx.Now().Add(ttl),
	})
	if err != nil {
		return Minted{}, err
	}
	return Minted{URL: s.baseURL + paths.Link(token), Token: token, Link: l, ExpiresAt: l.ExpiresAt}, nil
}

// Resolved is a link with its owner and what it can still do.
type Resolved struct {
	Status  Status
	Link    store.OwnerLink
	Owner   model.Owner
	Vehicle *model.Vehicle
}

// Resolve looks a token up without changing anything: a mail scanner that
// fetches the link must not use it up.
func (s *Service) Resolve(ctx context.Context, token string) (Resolved, error) {
	if len(token) < 32 || len(token) > 128 {
		return Resolved{Status: Unknown}, nil
	}
	l, err := s.store.LinkByTokenHash(ctx, store.HashSecret(token))
	if errors.Is(err, store.ErrNotFound) {
		return Resolved{Status: Unknown}, nil
	}
	if err != nil {
		return Resolved{}, err
	}
	return s.resolveLink(ctx, l)
}

// resolveLink is Resolve for a link already found.
func (s *Service) resolveLink(ctx context.Context, l store.OwnerLink) (Resolved, error) {
	var err error
	r := Resolved{Link: l}
	if r.Owner, err = s.store.OwnerByID(ctx, l.OwnerID); err != nil {
		return Resolved{}, err
	}
	if l.VehicleID != nil {
		v, err := s.store.VehicleByID(ctx, *l.VehicleID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return Resolved{}, err
		}
		if err == nil {
			r.Vehicle = &v
		}
	}
	switch {
	case !s.store.Now().Before(l.ExpiresAt):
		r.Status = Expired
	case l.Purpose.SingleUse() && l.UsedAt != nil:
		r.Status = Used
	case r.Vehicle != nil && r.Vehicle.State == model.StateConnected:
		r.Status = AlreadyFixed
	default:
		r.Status = Valid
	}
	return r, nil
}

// FromStaff reports whether support staff got the link, shown or emailed
// on their behalf: the one kind of link a staff member could open in their
// own browser and then act as the owner with.
func (r Resolved) FromStaff() bool {
	return r.Link.Source == model.SourceStaff || r.Link.Purpose == model.PurposeStaffShown
}

// Open uses the link (once, for in-app links) and returns it resolved. The
// caller opens the owner session only when the status is usable.
func (s *Service) Open(ctx context.Context, token string) (Resolved, error) {
	r, err := s.Resolve(ctx, token)
	if err != nil || !r.Status.Usable() {
		return r, err
	}
	return s.open(ctx, r)
}

// open uses a usable link and writes it on the owner's timeline.
func (s *Service) open(ctx context.Context, r Resolved) (Resolved, error) {
	ok, err := s.store.UseLink(ctx, r.Link.ID, r.Link.Purpose.SingleUse())
	if err != nil {
		return Resolved{}, err
	}
	if !ok {
		r.Status = Used
		return r, nil
	}
	src := r.Link.Source
	detail := fmt.Sprintf(`{"link_id":%d,"purpose":%q,"source":%q,"source_ref":%q}`, r.Link.ID, r.Link.Purpose, src, r.Link.SourceRef)
	ev := model.Event{OwnerID: &r.Owner.ID, VehicleID: r.Link.VehicleID, Kind: model.EventLinkOpened, Source: model.SourceOwner, Detail: detail}
	if err := s.store.AddEvent(ctx, ev); err != nil {
		return r, err
	}
	if src == model.SourceEmail && r.Link.VehicleID != nil {
		// A person continued a link from an email: if that email carried a
		// campaign's notice, the vehicle reached "opened" in that campaign
		// (a scanner's fetch goes to RecordScan and never gets here).
		return r, s.store.MarkCampaignOpenedByEmail(ctx, r.Owner.ID, *r.Link.VehicleID, r.Link.SourceRef, s.store.Now())
	}
	return r, nil
}

// RecordScan notes on the owner's timeline that a machine pressed the
// link's button (see IsAutomated). It uses nothing up and opens nothing,
// and an unknown token records nothing.
func (s *Service) RecordScan(ctx context.Context, token, reason string) error {
	r, err := s.Resolve(ctx, token)
	if err != nil || r.Status == Unknown {
		return err
	}
	detail := fmt.Sprintf(`{"link_id":%d,"purpose":%q,"reason":%q}`, r.Link.ID, r.Link.Purpose, reason)
	return s.store.AddEvent(ctx, model.Event{OwnerID: &r.Owner.ID, VehicleID: r.Link.VehicleID, Kind: model.EventLinkScanned, Source: model.SourceEmail, Detail: detail})
}
