// Package repair runs an owner's trip through Smartcar Connect: it starts a
// re-authentication (or a full Connect) with a one-time state bound to the
// browser session, checks the callback, verifies the repair with one API
// call, and records every step on the vehicle's timeline.
package repair

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"reconnect/internal/lifecycle"
	"reconnect/internal/links"
	"reconnect/internal/model"
	"reconnect/internal/secrets"
	"reconnect/internal/smartcar"
	"reconnect/internal/store"
)

// Errors the owner pages turn into messages. None of them changes anything.
var (
	ErrNotYours       = errors.New("repair: vehicle does not belong to this owner")
	ErrNothingToDo    = errors.New("repair: vehicle is connected")
	ErrBadState       = errors.New("repair: unknown or tampered state")
	ErrStateExpired   = errors.New("repair: state expired")
	ErrStateReplayed  = errors.New("repair: state already used")
	ErrStateSession   = errors.New("repair: state belongs to another browser session")
	ErrVehicleMissing = errors.New("repair: callback names another vehicle")
	// ErrOtherBrowser: a full Connect came back without the browser session
	// that started it. Its code is never exchanged there (whoever finished
	// it would get the car); the owner finishes where they started.
	ErrOtherBrowser = errors.New("repair: full Connect finished in another browser")
)

// StateTTL is how long an owner has to come back from Connect.
const StateTTL = 10 * time.Minute

// Service runs repairs.
type Service struct {
	store     *store.Store
	client    *smartcar.Client
	lifecycle *lifecycle.Machine
	sealer    *secrets.Sealer
	scopes    []string
	// links checks a return address against the allow-list again when the
	// owner comes back, in case the list changed meanwhile.
	links *links.Service
	// connectErrors counts and logs Connect's errors; nil does nothing.
	connectErrors *ConnectErrors
	// failed hears of every failed trip, in its transaction; nil: nobody.
	failed FailedAttemptHook
	// campaigns hears of each failed trip after it is recorded, so a
	// campaign whose repairs keep failing can pause itself; nil: nobody.
	campaigns CampaignSafety
}

// FailedAttemptHook is told, inside the transaction that recorded it, that
// an owner's trip to Connect for v failed (an error from Connect, or a
// result that could not be verified); v is the car after the trip.
type FailedAttemptHook interface {
	FailedAttempt(ctx context.Context, tx *store.Store, v model.Vehicle, ownerID int64) error
}

// OnFailedAttempt has h told of every failed trip; call it while wiring the
// app, before serving.
func (s *Service) OnFailedAttempt(h FailedAttemptHook) { s.failed = h }

// ObserveConnectErrors has every Connect error counted and logged by m.
func (s *Service) ObserveConnectErrors(m *ConnectErrors) { s.connectErrors = m }

// CampaignSafety is told that a trip to Connect for the vehicle ended in
// an error (campaign.Service).
type CampaignSafety interface {
	ConnectFailed(ctx context.Context, vehicleID int64) error
}

// ObserveCampaignFailures has c told of every failed trip to Connect.
func (s *Service) ObserveCampaignFailures(c CampaignSafety) { s.campaigns = c }

// New returns a repair service.
func New(s *store.Store, c *smartcar.Client, lc *lifecycle.Machine, sealer *secrets.Sealer, scopes []string, l *links.Service) *Service {
	return &Service{store: s, client: c, lifecycle: lc, sealer: sealer, scopes: scopes, links: l}
}

// Start is an owner's request to reconnect a vehicle.
type Start struct {
	Owner     model.Owner
	VehicleID int64
	SessionID string
	LinkID    *int64
	// Flow is store.FlowReauth (the default, vehicle already chosen) or
	// store.FlowConnect (a full Connect, when re-authentication cannot work).
	Flow string
	// Campaign, when set, is the live migration campaign the vehicle
	// follows: the owner may reconnect while the car still works (early is
	// the point), and the trip is the campaign's repair flow.
	Campaign *model.Campaign
}

// Begin records the attempt and returns the Connect URL to redirect to.
func (s *Service) Begin(ctx context.Context, st Start) (string, error) {
	if st.SessionID == "" {
		return "", ErrStateSession
	}
	v, err := s.ownedVehicle(ctx, st.Owner.ID, st.VehicleID)
	if err != nil {
		return "", err
	}
	if v.State == model.StateConnected && st.Campaign == nil {
		return "", ErrNothingToDo
	}
	flow := st.Flow
	if flow != store.FlowConnect {
		flow = store.FlowReauth
	}
	if st.Campaign != nil && st.Campaign.RepairFlow == model.FlowConnect {
		// After this migration re-authentication cannot work (new
		// accounts, new vehicle ids): a full Connect, make and VIN chosen.
		flow = store.FlowConnect
	}
	state := store.NewSecret("")
	var had []string
	if flow == store.FlowConnect {
		had = s.grantedScopes(ctx, v)
	}
	prevState, prevReason := v.State, v.Reason
	if v.State == model.StateReconnecting {
		// A second press after an abandoned trip: remember what was wrong
		// before the first one, not "reconnecting".
		prevState, prevReason = s.stateBefore(ctx, v)
	}
	var target string
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		if _, err := tx.CreateConnectState(ctx, store.ConnectState{
			StateHash: store.HashSecret(state), SessionID: st.SessionID, OwnerID: st.Owner.ID, VehicleID: &v.ID,
			LinkID: st.LinkID, Flow: flow, PrevState: prevState, PrevReason: prevReason, ExpiresAt: tx.Now().Add(StateTTL),
			PrevScopes: strings.Join(had, " "),
		}); err != nil {
			return err
		}
		if _, _, err := s.lifecycle.Transition(ctx, tx, v.ID, store.StateChange{
			To: model.StateReconnecting, Reason: prevReason, ReasonDetail: v.ReasonDetail, ResolutionURL: v.ResolutionURL, Source: model.SourceOwner,
		}); err != nil {
			return err
		}
		return tx.AddEvent(ctx, model.Event{VehicleID: &v.ID, OwnerID: &st.Owner.ID, Kind: model.EventReconnectStarted, Source: model.SourceOwner, Detail: jsonDetail(map[string]any{"flow": flow, "link_id": st.LinkID})})
	})
	if err != nil {
		return "", err
	}
	switch {
	case flow == store.FlowConnect:
		// Ask for at least what the car had: a fresh Connect with only the
		// configured scopes would silently take features away.
		target = s.client.AuthorizeURL(smartcar.AuthorizeParams{
			Scopes: unionScopes(s.scopes, had), State: state, ForcePrompt: true, Make: v.Make, SingleSelect: true,
			SingleSelectVIN: v.VIN, ExternalID: st.Owner.HostUserID,
		})
	case v.ResolutionURL != "":
		// Smartcar's own partial re-auth URL carries what it knows; we add
		// only our redirect, state and owner id, after checking its origin.
		if target, err = s.client.CompleteResolutionURL(v.ResolutionURL, state, st.Owner.HostUserID); err != nil {
			target = ""
		}
	}
	if target == "" {
		target = s.client.ReauthURL(smartcar.ReauthParams{VehicleID: v.SmartcarID, ResponseType: smartcar.ReauthVehicleID, State: state, ExternalID: st.Owner.HostUserID})
	}
	return target, nil
}

// stateBefore finds the broken state a vehicle had before it went to
// "reconnecting", from its timeline.
func (s *Service) stateBefore(ctx context.Context, v model.Vehicle) (model.State, string) {
	evs, err := s.store.EventsByVehicle(ctx, v.ID, store.Page{Limit: 50})
	if err == nil {
		for _, e := range evs {
			if e.Kind == model.EventStateChanged && e.ToState == model.StateReconnecting && e.FromState != model.StateReconnecting {
				return e.FromState, v.Reason
			}
		}
	}
	return model.StateNeedsReauth, v.Reason
}

func (s *Service) ownedVehicle(ctx context.Context, ownerID, vehicleID int64) (model.Vehicle, error) {
	v, err := s.store.VehicleByID(ctx, vehicleID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (v.OwnerID == nil || *v.OwnerID != ownerID)) {
		return model.Vehicle{}, ErrNotYours
	}
	return v, err
}

// Outcome is how a trip to Connect ended.
type Outcome int

// Outcomes the result page explains.
const (
	Fixed Outcome = iota
	ConnectFailed
	NotVerified
)

// Result is what the owner is shown after the callback.
type Result struct {
	Outcome Outcome
	Vehicle model.Vehicle
	OwnerID int64
	LinkID  *int64
	// ConnectError is Smartcar's error code when Connect failed.
	ConnectError smartcar.ConnectError
	// Reason is the vehicle's new reason when the verification failed.
	Reason string
	// Owner is the owner of the browser session, to address the page to.
	// It is set even when Callback refuses, so the refusal reads in the
	// owner's language.
	Owner *model.Owner
	// ReturnURL is the allow-listed "Back to <app>" address of the link
	// that opened the session, when the repair worked and there is one.
	ReturnURL string
	// Elsewhere: the owner finished re-authenticating in another browser
	// than the one that started (an email app's web view, then the system
	// browser). The repair was verified, but the page may say no more than
	// whether the car works: that browser holds no owner session.
	Elsewhere bool
	// Again: the state had already succeeded and the same browser came back
	// (a reload, back and forward); nothing was done twice.
	Again bool
}

// Visit is the browser session an owner comes back from Connect in.
type Visit struct {
	SessionID string
	// OwnerID and LinkID are what the owner session holds, when it does.
	OwnerID *int64
	LinkID  *int64
}

// Callback handles the redirect back from Connect for the browser session
// of v. It acts at most once per state, and the result carries everything
// the page shows.
func (s *Service) Callback(ctx context.Context, v Visit, q url.Values) (Result, error) {
	res, err := s.callback(ctx, v.SessionID, q)
	if v.OwnerID != nil {
		if o, oerr := s.store.OwnerByID(ctx, *v.OwnerID); oerr == nil {
			res.Owner = &o
		}
	}
	if err == nil && res.Outcome == Fixed && !res.Elsewhere {
		linkID := res.LinkID
		if linkID == nil {
			linkID = v.LinkID
		}
		res.ReturnURL = s.returnURL(ctx, linkID)
	}
	return res, err
}

// returnURL is the return address of the link, checked against the
// allow-list again now.
func (s *Service) returnURL(ctx context.Context, linkID *int64) string {
	if linkID == nil || *linkID == 0 || s.links == nil {
		return ""
	}
	l, err := s.store.LinkByID(ctx, *linkID)
	if err != nil || !s.links.ReturnURLAllowed(l.ReturnURL) {
		return ""
	}
	return l.ReturnURL
}

func (s *Service) callback(ctx context.Context, sessionID string, q url.Values) (Result, error) {
	res, cs, err := s.act(ctx, sessionID, q)
	if cs != nil && !res.Again {
		outcome := store.OutcomeFailed
		switch {
		case err == nil && res.Outcome == Fixed:
			outcome = store.OutcomeFixed
		case err == nil && res.Outcome == NotVerified:
			outcome = store.OutcomeUnverified
		}
		if oerr := s.store.SetConnectStateOutcome(ctx, cs.ID, outcome); oerr != nil && err == nil {
			err = oerr
		}
	}
	return res, err
}

// act checks the state and acts on the callback; cs is the state when it
// was used up here, so that its outcome can be recorded.
func (s *Service) act(ctx context.Context, sessionID string, q url.Values) (Result, *store.ConnectState, error) {
	cb := smartcar.ParseCallback(q)
	if cb.State == "" || len(cb.State) > 256 {
		return Result{}, nil, ErrBadState
	}
	cs, err := s.store.ConnectStateByHash(ctx, store.HashSecret(cb.State))
	if errors.Is(err, store.ErrNotFound) {
		return Result{}, nil, ErrBadState
	}
	if err != nil {
		return Result{}, nil, err
	}
	sameSession := sessionID != "" && subtle.ConstantTimeCompare([]byte(sessionID), []byte(cs.SessionID)) == 1
	switch {
	case cs.UsedAt != nil && sameSession && cs.Outcome == store.OutcomeFixed:
		res, err := s.again(ctx, cs)
		return res, nil, err
	case cs.UsedAt != nil:
		return Result{}, nil, ErrStateReplayed
	case !s.store.Now().Before(cs.ExpiresAt):
		return Result{}, nil, ErrStateExpired
	case cs.VehicleID == nil:
		return Result{}, nil, ErrBadState
	}
	v, err := s.store.VehicleByID(ctx, *cs.VehicleID)
	if err != nil {
		return Result{}, nil, err
	}
	if !sameSession && !verifiableElsewhere(cs, cb, v) {
		if cs.Flow == store.FlowConnect && !cb.IsError() && (cb.Code != "" || cb.UserID != "") {
			return Result{}, nil, ErrOtherBrowser
		}
		return Result{}, nil, ErrStateSession
	}
	if ok, err := s.store.ConsumeConnectState(ctx, cs.ID); err != nil {
		return Result{}, nil, err
	} else if !ok {
		return Result{}, nil, ErrStateReplayed
	}
	res := Result{Vehicle: v, OwnerID: cs.OwnerID, LinkID: cs.LinkID}
	if !sameSession {
		// A genuine re-authentication of the car this state names, finished
		// in another browser: Smartcar did the work, so check it with the
		// one verification call rather than leave the car "reconnecting"
		// with no webhook coming to rescue it.
		res, err := s.verify(ctx, cs, v, v.SmartcarUserID, nil)
		res.Elsewhere = true
		return res, &cs, err
	}

	if cb.IsError() {
		s.connectErrors.observe(ctx, cb, v)
		res.Outcome, res.ConnectError = ConnectFailed, cb.Error
		res.Vehicle, err = s.restore(ctx, cs, v, model.EventReconnectFailed, map[string]any{
			"error": string(cb.Error), "description": cb.ErrorDescription, "status_code": cb.StatusCode, "error_message": cb.ErrorMessage,
		})
		if err == nil {
			// The campaigns' funnels count failures by Connect's error.
			err = s.store.FailLiveCampaignVehicle(ctx, v.ID, string(cb.Error), s.store.Now())
		}
		if err == nil && s.campaigns != nil {
			// The owner's answer does not wait on it: a check that fails
			// here runs again with the periodic one.
			if cerr := s.campaigns.ConnectFailed(ctx, v.ID); cerr != nil && s.connectErrors != nil {
				s.connectErrors.log.Warn("campaign safety check after a Connect error failed", "vehicle_id", v.ID, "err", cerr)
			}
		}
		return res, &cs, err
	}
	userID := v.SmartcarUserID
	var lost []string
	switch {
	case cb.VehicleID != "":
		if cb.VehicleID != v.SmartcarID {
			_, rerr := s.restore(ctx, cs, v, model.EventReconnectFailed, map[string]any{"error": "vehicle_mismatch"})
			return Result{}, &cs, errors.Join(ErrVehicleMissing, rerr)
		}
	case cb.Code != "" || cb.UserID != "":
		userID, lost, err = s.finishFullConnect(ctx, cs, v, cb)
		if err != nil {
			res.Outcome = NotVerified
			res.Vehicle, _ = s.restore(ctx, cs, v, model.EventReconnectUnverified, map[string]any{"error": err.Error()})
			return res, &cs, nil
		}
	default:
		// Neither a result nor an error: the trip is over (its state is
		// used), so the car must not stay reconnecting unexplained.
		_, rerr := s.restore(ctx, cs, v, model.EventReconnectFailed, map[string]any{"error": "malformed_callback"})
		return Result{}, &cs, errors.Join(ErrBadState, rerr)
	}
	res, err = s.verify(ctx, cs, v, userID, lost)
	return res, &cs, err
}

// verifiableElsewhere reports whether a callback that arrived without the
// session that started it may still be acted on: only a successful
// re-authentication naming exactly the vehicle of a re-authentication
// state. It carries no code, so nothing is handed to whoever holds it;
// all it can do is make us ask Smartcar whether the car works.
func verifiableElsewhere(cs store.ConnectState, cb smartcar.Callback, v model.Vehicle) bool {
	return cs.Flow == store.FlowReauth && !cb.IsError() && cb.Code == "" && cb.UserID == "" && cb.VehicleID != "" && cb.VehicleID == v.SmartcarID
}

// again answers a callback whose state already succeeded in this browser
// session (a reload, back and forward): the same "Done", done once.
func (s *Service) again(ctx context.Context, cs store.ConnectState) (Result, error) {
	if cs.VehicleID == nil {
		return Result{}, ErrStateReplayed
	}
	v, err := s.store.VehicleByID(ctx, *cs.VehicleID)
	if err != nil {
		return Result{}, err
	}
	return Result{Outcome: Fixed, Vehicle: v, OwnerID: cs.OwnerID, LinkID: cs.LinkID, Again: true}, nil
}

// grantedScopes is what Smartcar grants us for the car now: its v2
// permissions with the owner's token when we hold one, else the v3
// connection's. It is nil when Smartcar cannot say.
func (s *Service) grantedScopes(ctx context.Context, v model.Vehicle) []string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if v.SmartcarUserID != "" {
		if t, err := s.store.TokenByUser(ctx, v.SmartcarUserID); err == nil {
			if access, err := s.access(ctx, t); err == nil {
				if p, err := s.client.Permissions(ctx, access, v.SmartcarID, 50, 0); err == nil {
					return p.Permissions
				}
			}
		}
	}
	page, err := s.client.Connections(ctx, smartcar.ConnectionsFilter{VehicleID: v.SmartcarID, UserID: v.SmartcarUserID})
	if err != nil {
		return nil
	}
	for _, c := range page.Connections {
		if c.VehicleID == v.SmartcarID {
			return c.Permissions
		}
	}
	return nil
}

// unionScopes is every scope of a and b once, in order.
func unionScopes(a, b []string) []string {
	var out []string
	for _, sc := range slices.Concat(a, b) {
		if sc = strings.TrimPrefix(strings.TrimSpace(sc), "required:"); sc != "" && !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// missingScopes lists the scopes of want that got lacks.
func missingScopes(want, got []string) []string {
	var out []string
	for _, sc := range want {
		if !slices.Contains(got, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// finishFullConnect exchanges the code, stores the tokens sealed, and links
// every vehicle the owner granted.
func (s *Service) finishFullConnect(ctx context.Context, cs store.ConnectState, v model.Vehicle, cb smartcar.Callback) (userID string, lost []string, err error) {
	owner := cs.OwnerID
	if cb.Code == "" {
		// v3 without a code: the app token plus the user id is enough.
		v.SmartcarUserID = cb.UserID
		return cb.UserID, s.notePermissions(ctx, cs, v, s.grantedScopes(ctx, v)), nil
	}
	tok, err := s.client.ExchangeCode(ctx, cb.Code)
	if err != nil {
		return "", nil, fmt.Errorf("exchange code: %w", err)
	}
	userID = cb.UserID
	if userID == "" {
		if userID, err = s.client.User(ctx, tok.AccessToken); err != nil {
			return "", nil, fmt.Errorf("read user: %w", err)
		}
	}
	if err := s.saveToken(ctx, userID, cs.OwnerID, tok); err != nil {
		return "", nil, err
	}
	ids, err := s.client.AllVehicles(ctx, tok.AccessToken)
	if err != nil {
		return "", nil, fmt.Errorf("list vehicles: %w", err)
	}
	for _, id := range ids {
		in := store.VehicleInput{SmartcarID: id, OwnerID: &owner, SmartcarUserID: userID}
		if attrs, err := s.client.VehicleAttributes(ctx, tok.AccessToken, id); err == nil {
			in.Make, in.Model, in.Year = attrs.Make, attrs.Model, attrs.Year
		}
		// A car that was another owner's changes hands, on both timelines
		// and with the host told: never silently.
		saved, err := s.lifecycle.SaveOwnedVehicle(ctx, nil, in, model.OwnerChangeConnect, model.SourceCallback)
		if err != nil {
			return "", nil, err
		}
		if saved.ID != v.ID {
			if err := s.takeOver(ctx, owner, saved); err != nil {
				return "", nil, err
			}
		}
	}
	_ = s.store.AddEvent(ctx, model.Event{VehicleID: &v.ID, OwnerID: &owner, Kind: model.EventTokensStored, Source: model.SourceCallback, Detail: jsonDetail(map[string]any{"vehicles": len(ids)})})
	var granted []string
	if p, err := s.client.Permissions(ctx, tok.AccessToken, v.SmartcarID, 50, 0); err == nil {
		granted = p.Permissions
	}
	return userID, s.notePermissions(ctx, cs, v, granted), nil
}

// takeOver settles the state of a granted car that came to this owner
// from another (moved by this Connect, or a moment earlier by the webhook
// naming the owner's Smartcar user): the owner just granted access to it,
// so it is connected, and whatever the previous owner said or left undone
// (a decline as sold, a reconnect never finished) is theirs, not this
// owner's. A car that was always this owner's is left as it is.
func (s *Service) takeOver(ctx context.Context, owner int64, v model.Vehicle) error {
	if v.OwnerID == nil || *v.OwnerID != owner || v.State == model.StateConnected {
		return nil
	}
	owners, err := s.store.PreviousOwnersOf(ctx, v.ID, nil)
	if err != nil || !slices.Contains(owners, owner) {
		return err
	}
	_, _, err = s.lifecycle.Transition(ctx, nil, v.ID, store.StateChange{To: model.StateConnected, Source: model.SourceCallback})
	return err
}

// notePermissions compares what a full Connect asked for (the configured
// scopes and whatever the car had) with what Smartcar granted; the owner
// may untick scopes on the grant screen. What is missing goes on the
// timeline and, with the state change, to the host. granted is nil when
// Smartcar could not say, which claims nothing.
func (s *Service) notePermissions(ctx context.Context, cs store.ConnectState, v model.Vehicle, granted []string) []string {
	if granted == nil {
		return nil
	}
	asked := unionScopes(s.scopes, strings.Fields(cs.PrevScopes))
	lost := missingScopes(asked, granted)
	if len(lost) == 0 {
		return nil
	}
	owner := cs.OwnerID
	_ = s.store.AddEvent(ctx, model.Event{VehicleID: &v.ID, OwnerID: &owner, Kind: model.EventPermissionsNarrowed, Source: model.SourceCallback,
		Detail: jsonDetail(map[string]any{"asked": asked, "had": strings.Fields(cs.PrevScopes), "granted": granted, "missing": lost})})
	return lost
}

func (s *Service) saveToken(ctx context.Context, userID string, ownerID int64, tok smartcar.Token) error {
	access, err := s.sealer.Seal(tok.AccessToken)
	if err != nil {
		return err
	}
	refresh, err := s.sealer.Seal(tok.RefreshToken)
	if err != nil {
		return err
	}
	return s.store.SaveToken(ctx, store.SmartcarToken{
		SmartcarUserID: userID, OwnerID: &ownerID, AccessToken: access, RefreshToken: refresh,
		AccessExpiresAt: tok.Expiry, RefreshExpiresAt: tok.RefreshExpiry,
	})
}

// verify makes one API call for the vehicle; only an answer counts as fixed.
func (s *Service) verify(ctx context.Context, cs store.ConnectState, v model.Vehicle, userID string, lost []string) (Result, error) {
	res := Result{Vehicle: v, OwnerID: cs.OwnerID, LinkID: cs.LinkID}
	err := s.probe(ctx, v, userID)
	var se *smartcar.Error
	if err != nil && errors.As(err, &se) {
		cl := smartcar.Classify(se)
		if cl.ConnectionWorks {
			// Asleep, unreachable, in motion…: Smartcar reached the
			// carmaker with our credentials, so the connection works.
			err = nil
		} else if cl.Kind == smartcar.KindPrompt {
			res.Outcome, res.Reason = NotVerified, cl.Reason
			err = s.store.Tx(ctx, func(tx *store.Store) error {
				nv, _, terr := s.lifecycle.Transition(ctx, tx, v.ID, store.StateChange{
					To: cl.State, Reason: cl.Reason, ReasonDetail: se.Description, ResolutionURL: cl.ResolutionURL, Source: model.SourceCallback,
				})
				res.Vehicle = nv
				if terr != nil {
					return terr
				}
				return tx.AddEvent(ctx, model.Event{VehicleID: &v.ID, OwnerID: &cs.OwnerID, Kind: model.EventReconnectUnverified, Source: model.SourceCallback, Detail: jsonDetail(map[string]any{"reason": cl.Reason, "request_id": se.RequestID})})
			})
			return res, err
		}
	}
	if err != nil {
		res.Outcome, res.Reason = NotVerified, v.Reason
		res.Vehicle, err = s.restore(ctx, cs, v, model.EventReconnectUnverified, map[string]any{"error": err.Error()})
		return res, err
	}
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		nv, _, terr := s.lifecycle.Transition(ctx, tx, v.ID, store.StateChange{To: model.StateConnected, Source: model.SourceCallback, PermissionsLost: lost})
		res.Vehicle = nv
		if terr != nil {
			return terr
		}
		if userID != "" && userID != v.SmartcarUserID {
			if _, err := s.lifecycle.SaveVehicle(ctx, tx, store.VehicleInput{SmartcarID: v.SmartcarID, SmartcarUserID: userID}); err != nil {
				return err
			}
		}
		return tx.AddEvent(ctx, model.Event{VehicleID: &v.ID, OwnerID: &cs.OwnerID, Kind: model.EventReconnectCompleted, Source: model.SourceCallback, Detail: jsonDetail(map[string]any{"flow": cs.Flow, "link_id": cs.LinkID})})
	})
	res.Outcome = Fixed
	return res, err
}

// probe asks Smartcar about the vehicle: with the owner's own v2 token when we
// hold one, otherwise with the application token and the Smartcar user id.
func (s *Service) probe(ctx context.Context, v model.Vehicle, userID string) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if userID != "" {
		if t, err := s.store.TokenByUser(ctx, userID); err == nil {
			access, err := s.access(ctx, t)
			if err != nil {
				return err
			}
			_, err = s.client.VehicleAttributes(ctx, access, v.SmartcarID)
			return err
		}
	}
	// Without a v2 pair, ask for the car's signals with the app token: the
	// v3 vehicle record answers even for a car whose connection is still
	// broken, so only a read that reaches the connection verifies anything.
	if userID == "" {
		return errNoUser
	}
	_, err := s.client.SignalsV3(ctx, userID, v.SmartcarID)
	return err
}

// errNoUser: a car with no Smartcar user id cannot be read with the app
// token, so its repair cannot be confirmed.
var errNoUser = errors.New("repair: no Smartcar user id to verify with")

// access returns a usable access token, refreshing (and saving the new pair
// at once) when the stored one has expired.
func (s *Service) access(ctx context.Context, t store.SmartcarToken) (string, error) {
	if s.store.Now().Before(t.AccessExpiresAt.Add(-time.Minute)) {
		return s.sealer.Open(t.AccessToken)
	}
	refresh, err := s.sealer.Open(t.RefreshToken)
	if err != nil {
		return "", err
	}
	tok, err := s.client.Refresh(ctx, refresh)
	if err != nil {
		return "", err
	}
	owner := int64(0)
	if t.OwnerID != nil {
		owner = *t.OwnerID
	}
	if err := s.saveToken(ctx, t.SmartcarUserID, owner, tok); err != nil {
		return "", err
	}
	return tok.AccessToken, nil
}

// restore puts the vehicle back in the state it had before the trip and
// records why.
func (s *Service) restore(ctx context.Context, cs store.ConnectState, v model.Vehicle, kind model.EventKind, detail map[string]any) (model.Vehicle, error) {
	out := v
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		cur, err := tx.VehicleByID(ctx, v.ID)
		if err != nil {
			return err
		}
		out = cur
		// Only undo our own "reconnecting": if a webhook moved the vehicle
		// meanwhile, that newer news stands.
		if cur.State == model.StateReconnecting && cs.PrevState != "" {
			if out, _, err = s.lifecycle.Transition(ctx, tx, v.ID, store.StateChange{
				To: cs.PrevState, Reason: cs.PrevReason, ReasonDetail: cur.ReasonDetail, ResolutionURL: cur.ResolutionURL, Source: model.SourceRestore,
			}); err != nil {
				return err
			}
		}
		if err := tx.AddEvent(ctx, model.Event{VehicleID: &v.ID, OwnerID: &cs.OwnerID, Kind: kind, Source: model.SourceCallback, Detail: jsonDetail(detail)}); err != nil {
			return err
		}
		if s.failed != nil && (kind == model.EventReconnectFailed || kind == model.EventReconnectUnverified) {
			return s.failed.FailedAttempt(ctx, tx, out, cs.OwnerID)
		}
		return nil
	})
	return out, err
}

// Decline reasons an owner can give.
const (
	DeclineSold          = "sold"
	DeclineNotMine       = "not_mine"
	DeclineStoppedUsing  = "stopped_using"
	DeclineRemindLater   = "remind_later"
	SnoozeFor            = 3 * 24 * time.Hour
	declinedReasonPrefix = "declined:"
)

// DeclineReasons lists the reasons in the order the form offers them.
var DeclineReasons = []string{DeclineSold, DeclineNotMine, DeclineStoppedUsing, DeclineRemindLater}

// declineCauses are the decline reasons that say the car changed hands.
var declineCauses = map[string]model.OwnerChangeCause{DeclineSold: model.OwnerChangeSold, DeclineNotMine: model.OwnerChangeNotMine}

// ErrBadReason means the decline form sent no known reason.
var ErrBadReason = errors.New("repair: unknown decline reason")

// Decline records that the owner will not reconnect (or not now).
func (s *Service) Decline(ctx context.Context, ownerID, vehicleID int64, reason string) (model.Vehicle, error) {
	v, err := s.ownedVehicle(ctx, ownerID, vehicleID)
	if err != nil {
		return v, err
	}
	switch reason {
	case DeclineSold, DeclineNotMine, DeclineStoppedUsing:
		err = s.store.Tx(ctx, func(tx *store.Store) error {
			nv, _, err := s.lifecycle.Transition(ctx, tx, v.ID, store.StateChange{To: model.StateDeclined, Reason: declinedReasonPrefix + reason, Source: model.SourceOwner})
			v = nv
			if err != nil {
				return err
			}
			if err := tx.AddEvent(ctx, model.Event{VehicleID: &v.ID, OwnerID: &ownerID, Kind: model.EventDeclined, Source: model.SourceOwner, Detail: jsonDetail(map[string]any{"reason": reason})}); err != nil {
				return err
			}
			// Sold, or not theirs: someone else may connect the car next.
			cause, ok := declineCauses[reason]
			if !ok {
				return nil
			}
			v, _, err = s.lifecycle.ChangeOwner(ctx, tx, v.ID, lifecycle.OwnerMove{Cause: cause, Source: model.SourceOwner})
			return err
		})
		return v, err
	case DeclineRemindLater:
		until := s.store.Now().Add(SnoozeFor)
		err = s.store.Tx(ctx, func(tx *store.Store) error {
			if err := tx.Snooze(ctx, v.ID, until); err != nil {
				return err
			}
			return tx.AddEvent(ctx, model.Event{VehicleID: &v.ID, OwnerID: &ownerID, Kind: model.EventSnoozed, Source: model.SourceOwner, Detail: jsonDetail(map[string]any{"until": until})})
		})
		v.SnoozedUntil = &until
		return v, err
	}
	return v, ErrBadReason
}

func jsonDetail(m map[string]any) string {
	b, _ := json.Marshal(m)
	return string(b)
}
