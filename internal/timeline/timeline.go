// Package timeline turns a vehicle's stored events into the sentences staff
// read, for the console's owner page and the timeline export alike, so that
// a screen and a spreadsheet never disagree about what happened.
package timeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/internal/vehicletext"
)

// Facts are what a sentence names beyond the event itself. Every field may
// be nil or empty: the sentence then says less, never something wrong.
type Facts struct {
	// Make is the vehicle's make as owners know it ("Tesla"), by vehicle id.
	Make map[int64]string
	// Subject is an email's subject, by email id.
	Subject map[int64]string
	// Campaign is a campaign's name, by campaign id.
	Campaign map[int64]string
	// LinkUsed is when a link from an email was first used, by the email's
	// message id; Annotate fills it from the events themselves.
	LinkUsed map[string]time.Time
}

// StateLabels are the states as staff read them.
var StateLabels = map[model.State]string{
	model.StateConnected: "Connected", model.StateNeedsReauth: "Needs reconnecting",
	model.StateNeedsOEMAction: "Needs action at the carmaker", model.StateNeedsVirtualKey: "Needs a virtual key",
	model.StateReconnecting: "Reconnecting", model.StateDeclined: "Declined",
}

// StateLabel is a state as staff read it; an unknown one shows as stored.
func StateLabel(s model.State) string {
	if l, ok := StateLabels[s]; ok {
		return l
	}
	return string(s)
}

// Annotate fills f.LinkUsed from the link-opened events among evs, so an
// email's sentence can say whether (and how soon) its link was used.
func Annotate(f *Facts, evs []model.Event) {
	if f.LinkUsed == nil {
		f.LinkUsed = map[string]time.Time{}
	}
	for _, e := range evs {
		if e.Kind != model.EventLinkOpened {
			continue
		}
		var d struct {
			Source    string `json:"source"`
			SourceRef string `json:"source_ref"`
		}
		if json.Unmarshal([]byte(e.Detail), &d) != nil || d.Source != string(model.SourceEmail) || d.SourceRef == "" {
			continue
		}
		if t, ok := f.LinkUsed[d.SourceRef]; !ok || e.OccurredAt.Before(t) {
			f.LinkUsed[d.SourceRef] = e.OccurredAt
		}
	}
}

// detail is every field a sentence reads from an event's JSON detail; each
// kind fills only its own.
type detail struct {
	Type     string      `json:"type"`
	Errors   []errorNote `json:"errors"`
	Triggers []string    `json:"triggers"`
	Outcomes []string    `json:"outcomes"`

	Error       string   `json:"error"`
	Description string   `json:"description"`
	Reason      string   `json:"reason"`
	Via         string   `json:"via"`
	Until       string   `json:"until"`
	Flow        string   `json:"flow"`
	Source      string   `json:"source"`
	Purpose     string   `json:"purpose"`
	Missing     []string `json:"missing"`
	Abandoned   bool     `json:"abandoned"`
	Cause       string   `json:"cause"`

	EmailID    int64  `json:"email_id"`
	MessageID  string `json:"message_id"`
	EmailKind  string `json:"kind"`
	CampaignID int64  `json:"campaign_id"`
}

type errorNote struct {
	Reason      string `json:"reason"`
	State       string `json:"state"`
	Status      int    `json:"status_code"`
	Description string `json:"description"`
}

// Sentence says in plain words what e records.
func Sentence(e model.Event, f Facts) string {
	var d detail
	_ = json.Unmarshal([]byte(e.Detail), &d) // a detail we cannot read leaves the sentence plain
	mk := "carmaker"
	if e.VehicleID != nil && f.Make[*e.VehicleID] != "" {
		mk = f.Make[*e.VehicleID]
	}
	switch e.Kind {
	case model.EventStateChanged:
		return stateSentence(e.FromState, e.ToState, e.Source, d.Abandoned)
	case model.EventVehicleAdded:
		return "Car added"
	case model.EventWebhookReceived:
		if len(d.Errors) > 0 {
			return "Smartcar reported: " + errorsPhrase(d.Errors, mk)
		}
		if len(d.Triggers) > 0 || d.Type == "VEHICLE_STATE" {
			return "Smartcar sent the car's data (the connection works)"
		}
		return "Smartcar sent an event" + paren(d.Type)
	case model.EventErrorReported:
		who := "Your backend reported: "
		if e.Source == model.SourceSystem {
			who = "Renewing Smartcar access failed: "
		}
		if len(d.Errors) == 0 {
			return strings.TrimSuffix(who, ": ") + " an error"
		}
		return who + errorsPhrase(d.Errors, mk)
	case model.EventErrorIgnored:
		return "Recorded, nothing for the owner to do: " + errorsPhrase(d.Errors, mk)
	case model.EventHealthCheck:
		if len(d.Errors) > 0 {
			return "Health check: Smartcar answered " + errorsPhrase(d.Errors, mk)
		}
		return "Health check: the car answered (the connection works)"
	case model.EventTokenRefreshed:
		return "Smartcar access renewed"
	case model.EventTokensStored:
		return "New Smartcar access stored"
	case model.EventPermissionsNarrowed:
		s := "Owner granted fewer permissions than the car had"
		if len(d.Missing) > 0 {
			s += " (missing " + strings.Join(d.Missing, ", ") + ")"
		}
		return s
	case model.EventOwnerChanged:
		return "The car changed hands" + paren(words(d.Cause))
	case model.EventOwnerChangeSuspected:
		return "The car may have changed hands" + paren(words(d.Cause))
	case model.EventLinkOpened:
		return "Owner opened their page" + linkOrigin(d.Source, d.Purpose)
	case model.EventLinkScanned:
		return "A mail scanner checked the link; it opened nothing (not the owner)"
	case model.EventFreshLinkRequested:
		return "A fresh link was asked for"
	case model.EventReconnectStarted:
		return "Owner started reconnecting"
	case model.EventReconnectFailed:
		return "Connect: " + connectError(d.Error, d.Description)
	case model.EventReconnectCompleted:
		return "Reconnected, confirmed by Smartcar"
	case model.EventReconnectUnverified:
		return "Owner came back from Connect, but Smartcar could not confirm the car yet"
	case model.EventReconnectAbandoned:
		return "Owner left Connect without finishing; the car was checked"
	case model.EventDeclined:
		return "Owner said they will not reconnect" + paren(words(d.Reason))
	case model.EventSnoozed:
		if t, err := time.Parse(time.RFC3339, d.Until); err == nil {
			return "Owner asked to be reminded later (after " + t.UTC().Format("2 Jan 2006") + ")"
		}
		return "Owner asked to be reminded later"
	case model.EventEmailSent:
		return emailSentence(d, f, e.OccurredAt)
	case model.EventEmailFailed:
		s := "Email could not be sent"
		if subj := f.Subject[d.EmailID]; subj != "" {
			s += ": " + subj
		}
		if d.Error != "" {
			s += " (" + d.Error + ")"
		}
		return s
	case model.EventEmailSkipped:
		return "Email not sent" + paren(skipReason(d.Reason))
	case model.EventUnsubscribed:
		return "Owner unsubscribed from emails"
	case model.EventRemindersStopped:
		return "Email reminders stopped" + paren(words(d.Reason))
	case model.EventCampaignJoined:
		return "Joined the campaign " + campaignName(f, d.CampaignID)
	case model.EventCampaignCompleted:
		return "Reconnected for the campaign " + campaignName(f, d.CampaignID)
	}
	return unlabelled + words(string(e.Kind))
}

// unlabelled starts the sentence of a kind this file does not know yet; a
// test fails on any kind in model.EventKinds that reaches it.
const unlabelled = "Unlabelled event: "

// stateSentence says a state change. A change to connected is told by who
// made it, since that is what staff are asked ("did the owner fix it?").
func stateSentence(from, to model.State, src model.Source, abandoned bool) string {
	now := StateLabel(to)
	switch {
	case from == "":
		return "State set: " + strings.ToLower(now)
	case to == model.StateConnected && src == model.SourceCallback:
		return "Connected again, by the owner's repair"
	case to == model.StateConnected && abandoned:
		return "Connected again: the car answered after the owner left Connect"
	case to == model.StateConnected:
		was := "was " + strings.ToLower(StateLabel(from))
		if w := sourceWords(src); w != "" {
			was = w + "; " + was
		}
		return "Connected again (" + was + ")"
	case from == model.StateConnected:
		return "Connection broke: " + strings.ToLower(now)
	case to == model.StateReconnecting:
		return "Owner went to Smartcar Connect (was: " + strings.ToLower(StateLabel(from)) + ")"
	case to == model.StateDeclined:
		return "Owner declined to reconnect (was: " + strings.ToLower(StateLabel(from)) + ")"
	}
	return "State changed from " + strings.ToLower(StateLabel(from)) + " to " + strings.ToLower(now)
}

var sourcePhrases = map[model.Source]string{
	model.SourceOwner: "by the owner", model.SourceStaff: "by support staff", model.SourceWebhook: "reported by Smartcar",
	model.SourceAPI: "reported by your backend", model.SourceHealthCheck: "found by a health check",
	model.SourceSystem: "found by Reconnect", model.SourceCLI: "by an operator", model.SourceDemo: "demo data",
	model.SourceCampaign: "by a campaign", model.SourceRestore: "as it was before the owner's unfinished attempt",
}

func sourceWords(s model.Source) string { return sourcePhrases[s] }

// codePhrases say Smartcar's account error codes; %s is the make.
var codePhrases = map[string]string{
	"AUTHENTICATION_FAILED": "%s account sign-in failed",
	"PERMISSION":            "access turned off in the %s account",
	"SUBSCRIPTION":          "%s connected-services subscription not active",
	"ACCOUNT_ISSUE":         "%s account needs attention",
	"VEHICLE_MISSING":       "car no longer in the %s account",
	"NO_VEHICLES":           "no cars in the %s account",
	"VIRTUAL_KEY_REQUIRED":  "%s needs a virtual key",
}

// typePhrases say the error types whose code matters less than their kind.
var typePhrases = map[string]string{
	"VEHICLE_STATE": "the car could not answer (asleep, offline or busy)", "vehicle_state_error": "the car could not answer (asleep, offline or busy)",
	"RATE_LIMIT": "Smartcar's rate limit", "rate_limit_error": "Smartcar's rate limit",
	"UPSTREAM": "the carmaker's servers failed", "SERVER": "Smartcar's servers failed",
	"AUTHENTICATION": "Smartcar refused our access token", "authentication_error": "Smartcar refused our access token",
	"invalid_grant": "Smartcar access was revoked", "PERMISSION": "a permission the car lacks",
	"BILLING": "a Smartcar billing limit", "COMPATIBILITY": "the car does not support this",
}

func errorsPhrase(es []errorNote, mk string) string {
	if len(es) == 0 {
		return "an error"
	}
	parts := make([]string, 0, len(es))
	for _, e := range es {
		parts = append(parts, errorPhrase(e, mk))
	}
	return strings.Join(parts, "; ")
}

func errorPhrase(e errorNote, mk string) string {
	typ, code, _ := strings.Cut(e.Reason, ":")
	var s string
	if p, ok := codePhrases[code]; ok && typ == "CONNECTED_SERVICES_ACCOUNT" {
		s = fmt.Sprintf(p, mk)
	} else if p, ok := typePhrases[typ]; ok {
		s = p
	} else if e.Description != "" {
		s = strings.TrimSuffix(e.Description, ".")
	} else {
		s = "an error"
	}
	if code == "" || code == "null" {
		code = typ
	}
	if code != "" {
		s += " (" + code + ")"
	}
	if strings.EqualFold(e.State, "RESOLVED") {
		s += ", now resolved"
	}
	return s
}

// connectErrors say Connect's error codes.
var connectErrors = map[string]string{
	"access_denied":          "owner denied access",
	"vehicle_mismatch":       "owner signed in with a different car",
	"malformed_callback":     "came back without a result",
	"invalid_subscription":   "the car has no active connected-services subscription",
	"vehicle_incompatible":   "the car is not compatible",
	"no_vehicles":            "no cars in the owner's account",
	"configuration_error":    "our Smartcar configuration was refused",
	"server_error":           "Smartcar failed",
	"user_manually_returned": "owner came back without finishing",
}

func connectError(code, desc string) string {
	if p, ok := connectErrors[code]; ok {
		return p
	}
	if desc != "" {
		return "failed: " + desc
	}
	if code == "" {
		return "failed"
	}
	return "failed (" + code + ")"
}

func emailSentence(d detail, f Facts, sent time.Time) string {
	s := "Email sent"
	if subj := f.Subject[d.EmailID]; subj != "" {
		s += ": " + subj
	} else if k := emailKinds[d.EmailKind]; k != "" {
		s += ": " + k
	}
	if d.MessageID == "" {
		return s
	}
	if at, ok := f.LinkUsed[d.MessageID]; ok {
		return s + " (link used " + Later(at.Sub(sent)) + ")"
	}
	return s
}

var emailKinds = map[string]string{
	"digest": "first notice", "reminder": "reminder", "fresh_link": "fresh link", "campaign_notice": "campaign notice",
}

// Later says a delay the way a person would: "12 min later", "2 h later",
// "3 days later".
func Later(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "within a minute"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " min later"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " h later"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + " days later"
}

func linkOrigin(src, purpose string) string {
	switch {
	case purpose == string(model.PurposeStaffShown):
		return " (a link support read out)"
	case src == string(model.SourceEmail):
		return " (a link from an email)"
	case src == string(model.SourceStaff):
		return " (a link support sent)"
	case src == string(model.SourceAPI):
		return " (a link from your app)"
	case src == string(model.SourceResend):
		return " (a link they asked for again)"
	}
	return ""
}

var skipReasons = map[string]string{"no_address": "no email address on file"}

func skipReason(r string) string {
	if s, ok := skipReasons[r]; ok {
		return s
	}
	return words(r)
}

func campaignName(f Facts, id int64) string {
	if n := f.Campaign[id]; n != "" {
		return "“" + n + "”"
	}
	if id == 0 {
		return "(unknown)"
	}
	return "#" + strconv.FormatInt(id, 10)
}

// words turns a stored identifier into words: "no_address" → "no address".
func words(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "_", " "))
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + strings.ToLower(s[:1]) + s[1:] + ")"
}

// MakeOf names a vehicle's make for Facts.Make.
func MakeOf(v model.Vehicle) string {
	if v.Make == "" {
		return ""
	}
	return vehicletext.MakeName(v.Make)
}

// Gather looks up what the sentences of an owner's events name: their cars'
// makes, their emails' subjects and the campaigns the events mention.
func Gather(ctx context.Context, st *store.Store, ownerID int64, vs []model.Vehicle, evs []model.Event) (Facts, error) {
	f := Facts{Make: map[int64]string{}, Subject: map[int64]string{}, Campaign: map[int64]string{}}
	for _, v := range vs {
		f.Make[v.ID] = MakeOf(v)
	}
	// The newest emails are the ones a page of the timeline shows.
	ems, err := st.EmailsByOwner(ctx, ownerID, store.Page{Limit: 500})
	if err != nil {
		return f, err
	}
	for _, em := range ems {
		f.Subject[em.ID] = em.Subject
	}
	return f, f.learn(ctx, st, evs)
}

// learn adds what the next page of events needs: the campaigns they name
// and the links they show used.
func (f *Facts) learn(ctx context.Context, st *store.Store, evs []model.Event) error {
	if f.Campaign == nil {
		f.Campaign = map[int64]string{}
	}
	for _, e := range evs {
		if e.Kind != model.EventCampaignJoined && e.Kind != model.EventCampaignCompleted {
			continue
		}
		var d detail
		if json.Unmarshal([]byte(e.Detail), &d) != nil || d.CampaignID == 0 {
			continue
		}
		if _, known := f.Campaign[d.CampaignID]; known {
			continue
		}
		c, err := st.CampaignByID(ctx, d.CampaignID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		f.Campaign[d.CampaignID] = c.Name
	}
	Annotate(f, evs)
	return nil
}
