package i18n

import (
	"context"
	"regexp"
	"testing"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
)

// Every language must have every English message, with the same placeholders,
// so no owner ever sees a message id.
func TestCataloguesAreComplete(t *testing.T) {
	en, err := Messages("en")
	if err != nil {
		t.Fatal(err)
	}
	ph := regexp.MustCompile(`\{\{\s*\.\w+\s*\}\}`)
	for _, l := range Supported[1:] {
		m, err := Messages(l.Tag)
		if err != nil {
			t.Fatalf("%s: %v", l.Tag, err)
		}
		for id, s := range en {
			tr, ok := m[id]
			if !ok || tr == "" {
				t.Errorf("%s: missing %q", l.Tag, id)
				continue
			}
			want := ph.FindAllString(s, -1)
			got := ph.FindAllString(tr, -1)
			if len(want) != len(got) {
				t.Errorf("%s: %q has placeholders %v, English has %v", l.Tag, id, got, want)
			}
		}
		for id := range m {
			if _, ok := en[id]; !ok {
				t.Errorf("%s: %q is not in English", l.Tag, id)
			}
		}
	}
}

func TestMatch(t *testing.T) {
	c := MustNew()
	cases := []struct {
		prefs []string
		want  string
	}{
		{[]string{"", "de-AT,de;q=0.9,en;q=0.5"}, "de"},
		{[]string{"fr-CA"}, "fr"},
		{[]string{"es", "de"}, "es"},
		{[]string{"ja"}, "en"},
		{[]string{"garbage;;;", "es-MX"}, "es"},
		{nil, "en"},
	}
	for _, tc := range cases {
		if got := c.Match(tc.prefs...); got != tc.want {
			t.Errorf("Match(%q) = %q, want %q", tc.prefs, got, tc.want)
		}
	}
	de := c.Localizer("de")
	ctx := WithLocalizer(context.Background(), de)
	if got := T(ctx, "layout.skip"); got == "layout.skip" || got == c.Localizer("en").T("layout.skip") {
		t.Errorf("German skip link not translated: %q", got)
	}
}

// French puts a non-breaking space before ":", ";", "?" and "!" (and inside
// « »), so that the sign never starts a line; a plain space or none is a
// typo a French reader sees at once.
func TestFrenchSpacesBeforeHighPunctuation(t *testing.T) {
	fr, err := Messages("fr")
	if err != nil {
		t.Fatal(err)
	}
	for id, s := range fr {
		if bad := FrenchSpacingErrors(s); len(bad) > 0 {
			t.Errorf("fr %s: %q: %v", id, s, bad)
		}
	}
	for _, tc := range []struct {
		in   string
		want int
	}{{"Rappel : x", 1}, {"Rappel: x", 1}, {"Rappel\u00a0: x", 0}, {"Pourquoi\u202f?", 0}, {"« Oui »", 2}, {"voir https://a.example/x?y=1", 0}} {
		if got := len(FrenchSpacingErrors(tc.in)); got != tc.want {
			t.Errorf("FrenchSpacingErrors(%q) found %d, want %d", tc.in, got, tc.want)
		}
	}
}

// T writes most messages itself (see compile); go-i18n writes the rest.
// Both must give the same text for every message of every language, with
// data of each kind T is given, with missing data, and with none.
func TestFastPathWritesWhatGoI18nWrites(t *testing.T) {
	c := MustNew()
	ids := map[string]bool{"no.such.message": true}
	for _, l := range Supported {
		m, err := Messages(l.Tag)
		if err != nil {
			t.Fatal(err)
		}
		for id := range m {
			ids[id] = true
		}
	}
	datas := []map[string]any{
		nil,
		{},
		{"Name": "Ana", "Car": "Tesla Model 3", "Day": "1er", "Month": "mars", "Count": 3, "N": int64(12), "Date": "<b>&"},
		{"Name": 7, "Car": int64(-2), "Count": "three", "Day": 31},
		{"Name": 1.5, "Car": nil, "Count": []string{"x"}},
	}
	fast := 0
	for _, l := range Supported {
		loc := c.Localizer(l.Tag)
		for id := range ids {
			if _, ok := loc.fast[id]; ok {
				fast++
			}
			for _, d := range datas {
				cfg := &goi18n.LocalizeConfig{MessageID: id}
				var got string
				if d == nil {
					got = loc.T(id)
				} else {
					got = loc.T(id, d)
					cfg.TemplateData = d
				}
				want, err := loc.l.Localize(cfg)
				if err != nil {
					want = id
				}
				if got != want {
					t.Errorf("%s %s with %v: T wrote %q, go-i18n %q", l.Tag, id, d, got, want)
				}
			}
		}
	}
	if fast < len(ids)*len(Supported)*9/10 {
		t.Errorf("only %d of %d messages written without go-i18n", fast, len(ids)*len(Supported))
	}
	if first, again := c.Localizer("de"), c.Localizer("de"); first != again {
		t.Error("a supported language's localizer is made again")
	}
	if got := c.Localizer("pt").T("owner.title"); got != c.Localizer("en").T("owner.title") {
		t.Errorf("an unsupported tag falls back to English, got %q", got)
	}
}
