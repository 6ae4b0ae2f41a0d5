// Package timeline turns a vehicle's stored events into the sentences staff
// read, for the console's owner page and the timeline export alike, so that
// a screen and a spreadsheet never disagree about what happened.
package timeline

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"reconnect/internal/i18n"
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

// Sentence says in plain words, in English, what e records: the
// timeline export's sentence.
func Sentence(e model.Event, f Facts) string { return SentenceIn(english, e, f) }

// english is the language of the export and of Sentence.
var english = i18n.From(context.Background())

// SentenceIn says what e records in l's language (console.timeline.*
// messages); the console's owner page says it in the staff member's.
func SentenceIn(l *i18n.Localizer, e model.Event, f Facts) string {
	var d detail
	_ = json.Unmarshal([]byte(e.Detail), &d) // a detail we cannot read leaves the sentence plain
	mk := l.T("console.timeline.carmaker")
	if e.VehicleID != nil && f.Make[*e.VehicleID] != "" {
		mk = f.Make[*e.VehicleID]
	}
	T := func(id string, data ...map[string]any) string { return l.T(id, data...) }
	errs := func() map[string]any { return map[string]any{"Errors": errorsPhrase(l, d.Errors, mk)} }
	switch e.Kind {
	case model.EventStateChanged:
		return stateSentence(l, e.FromState, e.ToState, e.Source, d.Abandoned)
	case model.EventVehicleAdded:
		return T("console.timeline.car_added")
	case model.EventWebhookReceived:
		if len(d.Errors) > 0 {
			return T("console.timeline.smartcar_reported", errs())
		}
		if len(d.Triggers) > 0 || d.Type == "VEHICLE_STATE" {
			return T("console.timeline.smartcar_data")
		}
		return T("console.timeline.smartcar_event") + paren(d.Type)
	case model.EventErrorReported:
		system := e.Source == model.SourceSystem
		switch {
		case len(d.Errors) == 0 && system:
			return T("console.timeline.refresh_failed_plain")
		case len(d.Errors) == 0:
			return T("console.timeline.backend_reported_plain")
		case system:
			return T("console.timeline.refresh_failed", errs())
		}
		return T("console.timeline.backend_reported", errs())
	case model.EventErrorIgnored:
		return T("console.timeline.error_ignored", errs())
	case model.EventHealthCheck:
		if len(d.Errors) > 0 {
			return T("console.timeline.health_check_error", errs())
		}
		return T("console.timeline.health_check_ok")
	case model.EventTokenRefreshed:
		return T("console.timeline.token_refreshed")
	case model.EventTokensStored:
		return T("console.timeline.tokens_stored")
	case model.EventPermissionsNarrowed:
		if len(d.Missing) > 0 {
			return T("console.timeline.permissions_narrowed_missing", map[string]any{"Missing": strings.Join(d.Missing, ", ")})
		}
		return T("console.timeline.permissions_narrowed")
	case model.EventOwnerChanged:
		return T("console.timeline.owner_changed") + paren(words(d.Cause))
	case model.EventOwnerChangeSuspected:
		return T("console.timeline.owner_change_suspected") + paren(words(d.Cause))
	case model.EventLinkOpened:
		return T("console.timeline.link_opened") + linkOrigin(l, d.Source, d.Purpose)
	case model.EventLinkScanned:
		return T("console.timeline.link_scanned")
	case model.EventFreshLinkRequested:
		return T("console.timeline.fresh_link_requested")
	case model.EventReconnectStarted:
		return T("console.timeline.reconnect_started")
	case model.EventReconnectFailed:
		return T("console.timeline.reconnect_failed", map[string]any{"Error": connectError(l, d.Error, d.Description)})
	case model.EventReconnectCompleted:
		return T("console.timeline.reconnect_completed")
	case model.EventReconnectUnverified:
		return T("console.timeline.reconnect_unverified")
	case model.EventReconnectAbandoned:
		return T("console.timeline.reconnect_abandoned")
	case model.EventDeclined:
		return T("console.timeline.declined") + paren(words(d.Reason))
	case model.EventSnoozed:
		if t, err := time.Parse(time.RFC3339, d.Until); err == nil {
			return T("console.timeline.snoozed_until", map[string]any{"Date": l.DayMonth(t.UTC()) + " " + strconv.Itoa(t.UTC().Year())})
		}
		return T("console.timeline.snoozed")
	case model.EventEmailSent:
		return emailSentence(l, d, f, e.OccurredAt)
	case model.EventEmailFailed:
		s := T("console.timeline.email_failed")
		if subj := f.Subject[d.EmailID]; subj != "" {
			s = T("console.timeline.email_failed_subject", map[string]any{"Subject": subj})
		}
		if d.Error != "" {
			s += " (" + d.Error + ")"
		}
		return s
	case model.EventEmailSkipped:
		return T("console.timeline.email_skipped") + paren(skipReason(l, d.Reason))
	case model.EventUnsubscribed:
		return T("console.timeline.unsubscribed")
	case model.EventRemindersStopped:
		return T("console.timeline.reminders_stopped") + paren(words(d.Reason))
	case model.EventCampaignJoined:
		return T("console.timeline.campaign_joined", map[string]any{"Campaign": campaignName(l, f, d.CampaignID)})
	case model.EventCampaignCompleted:
		return T("console.timeline.campaign_completed", map[string]any{"Campaign": campaignName(l, f, d.CampaignID)})
	}
	return unlabelled + words(string(e.Kind))
}

// unlabelled starts the sentence of a kind this file does not know yet; a
// test fails on any kind in model.EventKinds that reaches it.
const unlabelled = "Unlabelled event: "

// stateSentence says a state change. A change to connected is told by who
// made it, since that is what staff are asked ("did the owner fix it?").
// States inside a sentence are console.timeline.state_<state>, written as
// they read mid-sentence in each language.
func stateSentence(l *i18n.Localizer, from, to model.State, src model.Source, abandoned bool) string {
	T := func(id string, data ...map[string]any) string { return l.T(id, data...) }
	inSentence := func(st model.State) string {
		id := "console.timeline.state_" + string(st)
		if s := l.T(id); s != id {
			return s
		}
		return strings.ToLower(StateLabel(st))
	}
	now := inSentence(to)
	switch {
	case from == "":
		return T("console.timeline.state_set", map[string]any{"State": now})
	case to == model.StateConnected && src == model.SourceCallback:
		return T("console.timeline.connected_by_repair")
	case to == model.StateConnected && abandoned:
		return T("console.timeline.connected_after_abandon")
	case to == model.StateConnected:
		was := T("console.timeline.was", map[string]any{"State": inSentence(from)})
		if w := sourceWords(l, src); w != "" {
			was = w + "; " + was
		}
		return T("console.timeline.connected_again", map[string]any{"Was": was})
	case from == model.StateConnected:
		return T("console.timeline.connection_broke", map[string]any{"State": now})
	case to == model.StateReconnecting:
		return T("console.timeline.went_to_connect", map[string]any{"State": inSentence(from)})
	case to == model.StateDeclined:
		return T("console.timeline.declined_state", map[string]any{"State": inSentence(from)})
	}
	return T("console.timeline.state_changed", map[string]any{"From": inSentence(from), "To": now})
}

// sourceWords says who made a change (console.timeline.source_<source>);
// a source without a message says nothing.
func sourceWords(l *i18n.Localizer, s model.Source) string {
	return phrase(l, "console.timeline.source_"+string(s), "")
}

// phrase translates id, or gives fallback when the catalogue has no such
// message: a code Smartcar added, a source added to the vocabulary.
func phrase(l *i18n.Localizer, id, fallback string) string {
	if s := l.T(id); s != id {
		return s
	}
	return fallback
}

// Smartcar's account error codes are said by console.timeline.code_<code>
// ({{.Make}} is the make), the error types whose code matters less than
// their kind by console.timeline.type_<type>.

func errorsPhrase(l *i18n.Localizer, es []errorNote, mk string) string {
	if len(es) == 0 {
		return l.T("console.timeline.an_error")
	}
	parts := make([]string, 0, len(es))
	for _, e := range es {
		parts = append(parts, errorPhrase(l, e, mk))
	}
	return strings.Join(parts, "; ")
}

func errorPhrase(l *i18n.Localizer, e errorNote, mk string) string {
	typ, code, _ := strings.Cut(e.Reason, ":")
	var s string
	codeID, typeID := "console.timeline.code_"+code, "console.timeline.type_"+typ
	if p := l.T(codeID, map[string]any{"Make": mk}); p != codeID && code != "" && typ == "CONNECTED_SERVICES_ACCOUNT" {
		s = p
	} else if p := l.T(typeID); p != typeID && typ != "" {
		s = p
	} else if e.Description != "" {
		s = strings.TrimSuffix(e.Description, ".")
	} else {
		s = l.T("console.timeline.an_error")
	}
	if code == "" || code == "null" {
		code = typ
	}
	if code != "" {
		s += " (" + code + ")"
	}
	if strings.EqualFold(e.State, "RESOLVED") {
		s += l.T("console.timeline.now_resolved")
	}
	return s
}

// connectError says Connect's error codes (console.timeline.connect_<code>).
func connectError(l *i18n.Localizer, code, desc string) string {
	id := "console.timeline.connect_" + code
	if p := l.T(id); code != "" && p != id {
		return p
	}
	if desc != "" {
		return l.T("console.timeline.connect_failed_desc", map[string]any{"Description": desc})
	}
	if code == "" {
		return l.T("console.timeline.connect_failed")
	}
	return l.T("console.timeline.connect_failed") + " (" + code + ")"
}

func emailSentence(l *i18n.Localizer, d detail, f Facts, sent time.Time) string {
	s := l.T("console.timeline.email_sent")
	if subj := f.Subject[d.EmailID]; subj != "" {
		s = l.T("console.timeline.email_sent_what", map[string]any{"What": subj})
	} else if k := phrase(l, "console.timeline.email_kind_"+d.EmailKind, ""); d.EmailKind != "" && k != "" {
		s = l.T("console.timeline.email_sent_what", map[string]any{"What": k})
	}
	if d.MessageID == "" {
		return s
	}
	if at, ok := f.LinkUsed[d.MessageID]; ok {
		return s + " (" + l.T("console.timeline.link_used", map[string]any{"Later": LaterIn(l, at.Sub(sent))}) + ")"
	}
	return s
}

// Later says a delay the way a person would, in English: "12 min later",
// "2 h later", "3 days later".
func Later(d time.Duration) string { return LaterIn(english, d) }

// LaterIn says a delay in l's language.
func LaterIn(l *i18n.Localizer, d time.Duration) string {
	switch {
	case d < time.Minute:
		return l.T("console.timeline.later_minute")
	case d < time.Hour:
		return l.T("console.timeline.later_min", map[string]any{"N": int(d / time.Minute)})
	case d < 48*time.Hour:
		return l.T("console.timeline.later_h", map[string]any{"N": int(d / time.Hour)})
	}
	return l.T("console.timeline.later_days", map[string]any{"N": int(d / (24 * time.Hour))})
}

func linkOrigin(l *i18n.Localizer, src, purpose string) string {
	id := ""
	switch {
	case purpose == string(model.PurposeStaffShown):
		id = "link_read_out"
	case src == string(model.SourceEmail):
		id = "link_from_email"
	case src == string(model.SourceStaff):
		id = "link_support_sent"
	case src == string(model.SourceAPI):
		id = "link_from_app"
	case src == string(model.SourceResend):
		id = "link_asked_again"
	default:
		return ""
	}
	return " (" + l.T("console.timeline."+id) + ")"
}

func skipReason(l *i18n.Localizer, r string) string {
	return phrase(l, "console.timeline.skip_"+r, words(r))
}

func campaignName(l *i18n.Localizer, f Facts, id int64) string {
	if n := f.Campaign[id]; n != "" {
		return l.T("console.timeline.quoted", map[string]any{"Name": n})
	}
	if id == 0 {
		return "(" + l.T("console.timeline.unknown") + ")"
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
