package timeline

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"reconnect/internal/i18n"
	"reconnect/internal/model"
)

// readsWell fails a sentence that leaks stored identifiers or formatting
// mistakes to the reader.
func readsWell(t *testing.T, what, s string) {
	t.Helper()
	switch {
	case s == "":
		t.Errorf("%s: no sentence", what)
	case !unicode.IsUpper([]rune(s)[0]):
		t.Errorf("%s: %q does not start with a capital", what, s)
	case strings.Contains(s, "%!"), strings.Contains(s, "  "), strings.Contains(s, "()"):
		t.Errorf("%s: %q is malformed", what, s)
	}
	for _, st := range model.States {
		if strings.Contains(s, string(st)) && strings.Contains(string(st), "_") {
			t.Errorf("%s: %q names a stored state", what, s)
		}
	}
}

func TestEveryEventKindHasItsOwnSentence(t *testing.T) {
	seen := map[string]model.EventKind{}
	for _, k := range model.EventKinds {
		s := Sentence(model.Event{Kind: k, ToState: model.StateConnected, FromState: model.StateNeedsReauth}, Facts{})
		readsWell(t, string(k), s)
		if strings.HasPrefix(s, unlabelled) {
			t.Errorf("%s has no sentence of its own, only its name %q", k, s)
		}
		if other, dup := seen[s]; dup {
			t.Errorf("%s and %s both read %q", k, other, s)
		}
		seen[s] = k
	}
}

func TestEveryStateChangeReadsWell(t *testing.T) {
	seen := map[string]string{}
	froms := append([]model.State{""}, model.States...)
	for _, from := range froms {
		for _, to := range model.States {
			if from == to {
				continue
			}
			for _, src := range model.Sources {
				s := stateSentence(english, from, to, src, false)
				what := string(from) + "→" + string(to) + " by " + string(src)
				readsWell(t, what, s)
				if !strings.Contains(strings.ToLower(s), strings.ToLower(StateLabel(to))) && to != model.StateConnected && to != model.StateReconnecting && to != model.StateDeclined {
					t.Errorf("%s: %q does not say the new state", what, s)
				}
				if src == model.SourceWebhook {
					key := string(from) + "→" + string(to)
					if prev, dup := seen[s]; dup && prev != key {
						t.Errorf("%s reads the same as %s: %q", key, prev, s)
					}
					seen[s] = key
				}
			}
		}
	}
}

func TestStateLabelsCoverEveryState(t *testing.T) {
	for _, st := range model.States {
		if StateLabels[st] == "" {
			t.Errorf("state %s has no label", st)
		}
	}
}

func TestSentencesTellTheStory(t *testing.T) {
	car := int64(7)
	sent := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	evs := []model.Event{
		{Kind: model.EventWebhookReceived, VehicleID: &car, Detail: `{"type":"VEHICLE_ERROR","errors":[{"reason":"CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED","state":"ERROR"}]}`},
		{Kind: model.EventEmailSent, OccurredAt: sent, Detail: `{"email_id":3,"message_id":"<m1@x>","kind":"digest"}`},
		{Kind: model.EventLinkOpened, OccurredAt: sent.Add(2*time.Hour + 5*time.Minute), Detail: `{"link_id":1,"purpose":"email","source":"email","source_ref":"<m1@x>"}`},
		{Kind: model.EventReconnectStarted},
		{Kind: model.EventReconnectFailed, Detail: `{"error":"access_denied"}`},
		{Kind: model.EventReconnectCompleted},
		{Kind: model.EventStateChanged, FromState: model.StateNeedsReauth, ToState: model.StateConnected, Source: model.SourceCallback},
		{Kind: model.EventCampaignJoined, Detail: `{"campaign_id":4}`},
		{Kind: model.EventWebhookReceived, VehicleID: &car, Detail: `{"type":"VEHICLE_ERROR","errors":[{"reason":"CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED","state":"RESOLVED"}]}`},
	}
	f := Facts{Make: map[int64]string{car: "Tesla"}, Subject: map[int64]string{3: "Action required: reconnect your Tesla to ChargeWell"},
		Campaign: map[int64]string{4: "Tesla Fleet API"}}
	Annotate(&f, evs)
	want := []string{
		"Smartcar reported: Tesla account sign-in failed (AUTHENTICATION_FAILED)",
		"Email sent: Action required: reconnect your Tesla to ChargeWell (link used 2 h later)",
		"Owner opened their page (a link from an email)",
		"Owner started reconnecting",
		"Connect: owner denied access",
		"Reconnected, confirmed by Smartcar",
		"Connected again, by the owner's repair",
		"Joined the campaign “Tesla Fleet API”",
		"Smartcar reported: Tesla account sign-in failed (AUTHENTICATION_FAILED), now resolved",
	}
	for i, e := range evs {
		if got := Sentence(e, f); got != want[i] {
			t.Errorf("%s: got %q, want %q", e.Kind, got, want[i])
		}
	}
}

func TestAnEmailWhoseLinkWasNotUsedSaysOnlyThatItWasSent(t *testing.T) {
	e := model.Event{Kind: model.EventEmailSent, Detail: `{"email_id":3,"message_id":"<m2@x>","kind":"reminder"}`}
	f := Facts{}
	Annotate(&f, []model.Event{e})
	if got := Sentence(e, f); got != "Email sent: reminder" {
		t.Errorf("got %q", got)
	}
}

func TestAnUnreadableDetailStillGivesASentence(t *testing.T) {
	for _, k := range model.EventKinds {
		readsWell(t, string(k), Sentence(model.Event{Kind: k, Detail: "not json", ToState: model.StateNeedsReauth}, Facts{}))
	}
}

func TestLaterSaysDelaysLikeAPerson(t *testing.T) {
	for d, want := range map[time.Duration]string{
		10 * time.Second: "within a minute", 12 * time.Minute: "12 min later", 2 * time.Hour: "2 h later", 80 * time.Hour: "3 days later",
	} {
		if got := Later(d); got != want {
			t.Errorf("%s: got %q, want %q", d, got, want)
		}
	}
}

// The console says the timeline in the staff member's language: the same
// story in German, with the states as they read mid-sentence.
func TestSentencesInGerman(t *testing.T) {
	de := i18n.MustNew().Localizer("de")
	car := int64(7)
	f := Facts{Make: map[int64]string{car: "Tesla"}, Campaign: map[int64]string{4: "Tesla Fleet API"}}
	for _, tc := range []struct {
		e    model.Event
		want string
	}{
		{model.Event{Kind: model.EventWebhookReceived, VehicleID: &car, Detail: `{"type":"VEHICLE_ERROR","errors":[{"reason":"CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED","state":"RESOLVED"}]}`},
			"Smartcar meldete: Anmeldung beim Tesla-Konto fehlgeschlagen (AUTHENTICATION_FAILED), inzwischen behoben"},
		{model.Event{Kind: model.EventStateChanged, FromState: model.StateConnected, ToState: model.StateNeedsOEMAction, Source: model.SourceWebhook},
			"Verbindung unterbrochen: Aktion beim Hersteller nötig"},
		{model.Event{Kind: model.EventStateChanged, FromState: model.StateNeedsReauth, ToState: model.StateConnected, Source: model.SourceWebhook},
			"Wieder verbunden (von Smartcar gemeldet; war: muss neu verbunden werden)"},
		{model.Event{Kind: model.EventReconnectFailed, Detail: `{"error":"access_denied"}`}, "Connect: der Halter hat den Zugriff verweigert"},
		{model.Event{Kind: model.EventCampaignJoined, Detail: `{"campaign_id":4}`}, "Der Kampagne „Tesla Fleet API“ beigetreten"},
	} {
		if got := SentenceIn(de, tc.e, f); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.e.Kind, got, tc.want)
		}
	}
	for _, k := range model.EventKinds {
		s := SentenceIn(de, model.Event{Kind: k, ToState: model.StateConnected, FromState: model.StateNeedsReauth}, Facts{})
		readsWell(t, "de "+string(k), s)
		if s == Sentence(model.Event{Kind: k, ToState: model.StateConnected, FromState: model.StateNeedsReauth}, Facts{}) {
			t.Errorf("%s reads the same in German as in English: %q", k, s)
		}
	}
}
