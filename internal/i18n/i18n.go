// Package i18n holds the translation catalogues (English first, German,
// French, Spanish) and picks the owner's language: their stored locale, then
// the switcher's choice, then Accept-Language.
package i18n

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales/*.json
var files embed.FS

// Supported lists the languages in switcher order; the first is the fallback.
var Supported = []Language{
	{Tag: "en", Name: "English"},
	{Tag: "de", Name: "Deutsch"},
	{Tag: "fr", Name: "Français"},
	{Tag: "es", Name: "Español"},
}

// Language is one entry of the switcher, named in its own language.
type Language struct {
	Tag  string
	Name string
}

// Catalog holds every message of every language.
type Catalog struct {
	bundle  *goi18n.Bundle
	matcher language.Matcher
	tags    []language.Tag
	// locs holds one localizer per supported language, made once: a
	// localizer never changes, and every request needs one.
	locs map[string]*Localizer
}

// New loads the embedded catalogues.
func New() (*Catalog, error) {
	b := goi18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	entries, err := fs.ReadDir(files, "locales")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if _, err := b.LoadMessageFileFS(files, path.Join("locales", e.Name())); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", e.Name(), err)
		}
	}
	c := &Catalog{bundle: b}
	for _, l := range Supported {
		c.tags = append(c.tags, language.MustParse(l.Tag))
	}
	c.matcher = language.NewMatcher(c.tags)
	c.locs = make(map[string]*Localizer, len(Supported))
	english, err := Messages(Supported[0].Tag)
	if err != nil {
		return nil, err
	}
	for _, l := range Supported {
		own, err := Messages(l.Tag)
		if err != nil {
			return nil, err
		}
		c.locs[l.Tag] = &Localizer{lang: l.Tag, l: goi18n.NewLocalizer(b, l.Tag, Supported[0].Tag), fast: compile(own, english)}
	}
	return c, nil
}

// MustNew is New for program start-up and tests.
func MustNew() *Catalog {
	c, err := New()
	if err != nil {
		panic(err)
	}
	return c
}

// Match picks the best supported language for the preferences, in order
// (each may be a locale like "de-AT" or a whole Accept-Language header).
func (c *Catalog) Match(prefs ...string) string {
	for _, p := range prefs {
		if strings.TrimSpace(p) == "" {
			continue
		}
		tags, _, err := language.ParseAcceptLanguage(p)
		if err != nil || len(tags) == 0 {
			continue
		}
		_, idx, conf := c.matcher.Match(tags...)
		if conf != language.No {
			return Supported[idx].Tag
		}
	}
	return Supported[0].Tag
}

// Supports reports whether want (a tag such as "de" or "de-AT") names a
// supported language, and which; unlike Match it does not fall back.
func (c *Catalog) Supports(want string) (string, bool) {
	if len(want) > 35 {
		return "", false
	}
	tag, err := language.Parse(want)
	if err != nil {
		return "", false
	}
	if _, idx, conf := c.matcher.Match(tag); conf != language.No {
		return Supported[idx].Tag, true
	}
	return "", false
}

// Localizer translates into one language.
type Localizer struct {
	lang string
	l    *goi18n.Localizer
	// fast holds the language's messages (English's where it has none)
	// that T can write without go-i18n; see compile.
	fast map[string]message
}

// Localizer returns a localizer for a supported language tag (shared, as
// localizers never change); another tag gets a new one that falls back to
// English, as go-i18n does.
func (c *Catalog) Localizer(lang string) *Localizer {
	if l, ok := c.locs[lang]; ok {
		return l
	}
	return &Localizer{lang: lang, l: goi18n.NewLocalizer(c.bundle, lang, Supported[0].Tag)}
}

// message is a message split at its {{.Name}} placeholders: parts holds
// text, name, text, name, …, text, so it always has an odd length.
type message struct {
	parts []string
}

// compile splits each message of own, then of fallback for the ids own
// lacks, at its placeholders. A message whose "{{" are not all plain
// {{.Name}} placeholders is left out, and T hands it to go-i18n.
//
// Why: go-i18n executes a text/template for every message it writes with
// data, and parses the language tags again on every lookup; a page of five
// vehicle cards writes dozens of messages, and that was about 15 % of the
// owner's page's CPU. The writing here is text/template's for the values T
// is given (strings and integers); anything else goes to go-i18n, and a test
// holds the two to the same output for every message of every language.
func compile(own, fallback map[string]string) map[string]message {
	out := make(map[string]message, len(fallback))
	add := func(id, text string) {
		var parts []string
		rest := text
		for {
			loc := placeholder.FindStringIndex(rest)
			if loc == nil {
				break
			}
			if strings.Contains(rest[:loc[0]], "{{") {
				return
			}
			name := strings.TrimSpace(rest[loc[0]+2 : loc[1]-2])
			parts = append(parts, rest[:loc[0]], name[1:])
			rest = rest[loc[1]:]
		}
		if strings.Contains(rest, "{{") {
			return
		}
		out[id] = message{parts: append(parts, rest)}
	}
	for id, text := range own {
		add(id, text)
	}
	for id, text := range fallback {
		if _, ok := own[id]; !ok {
			add(id, text)
		}
	}
	return out
}

// Lang is the localizer's language tag.
func (l *Localizer) Lang() string { return l.lang }

// T translates a message id; data fills {{.Name}} placeholders. A missing id
// shows the id itself, which the catalogue test catches long before users do.
func (l *Localizer) T(id string, data ...map[string]any) string {
	if m, ok := l.fast[id]; ok {
		if len(m.parts) == 1 {
			return m.parts[0]
		}
		if len(data) > 0 {
			if s, ok := m.write(data[0]); ok {
				return s
			}
		}
	}
	cfg := &goi18n.LocalizeConfig{MessageID: id}
	if len(data) > 0 {
		cfg.TemplateData = data[0]
	}
	s, err := l.l.Localize(cfg)
	if err != nil {
		return id
	}
	return s
}

// write fills the placeholders from data; false when a value is missing or
// of a type whose writing is left to text/template (through go-i18n).
func (m message) write(data map[string]any) (string, bool) {
	var b strings.Builder
	for i, p := range m.parts {
		if i%2 == 0 {
			b.WriteString(p)
			continue
		}
		switch v := data[p].(type) {
		case string:
			b.WriteString(v)
		case int:
			b.WriteString(strconv.Itoa(v))
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		default:
			return "", false
		}
	}
	return b.String(), true
}

// Messages lists every message id of a language, for the catalogue test.
// A language's messages may be split over several files: lang.json and
// area.lang.json (console.de.json, say), so each part of the product keeps
// its own words; go-i18n reads the language from the name's last part.
func Messages(lang string) (map[string]string, error) {
	entries, err := fs.ReadDir(files, "locales")
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	found := false
	for _, e := range entries {
		name := e.Name()
		if name != lang+".json" && !strings.HasSuffix(name, "."+lang+".json") {
			continue
		}
		b, err := files.ReadFile("locales/" + name)
		if err != nil {
			return nil, err
		}
		part := map[string]string{}
		if err := json.Unmarshal(b, &part); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", name, err)
		}
		for id, s := range part {
			if _, dup := m[id]; dup {
				return nil, fmt.Errorf("i18n: %s: %q is already in another %s file", name, id, lang)
			}
			m[id] = s
		}
		found = true
	}
	if !found {
		return nil, fmt.Errorf("i18n: no messages for %q", lang)
	}
	return m, nil
}

type ctxKey struct{}

// WithLocalizer stores the request's localizer for templates.
func WithLocalizer(ctx context.Context, l *Localizer) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

var fallback = MustNew().Localizer("en")

// From returns the context's localizer, English when there is none.
func From(ctx context.Context) *Localizer {
	if l, ok := ctx.Value(ctxKey{}).(*Localizer); ok {
		return l
	}
	return fallback
}

// T translates in the context's language; templates call it.
func T(ctx context.Context, id string, data ...map[string]any) string {
	return From(ctx).T(id, data...)
}

// FrenchSpacingErrors lists the places in a French text where ":", ";",
// "?" or "!" lacks the non-breaking space before it, or « » the one inside.
// Addresses are skipped: their colons and question marks are not prose.
// The emails' tests run it over every French email they render.
func FrenchSpacingErrors(s string) []string {
	var bad []string
	rs := []rune(s)
	for i, r := range rs {
		if !strings.ContainsRune(":;?!«»", r) || insideAddress(rs, i) {
			continue
		}
		var neighbour rune
		switch r {
		case '«':
			if i+1 < len(rs) {
				neighbour = rs[i+1]
			}
		default:
			if i > 0 {
				neighbour = rs[i-1]
			}
		}
		if neighbour != '\u00a0' && neighbour != '\u202f' {
			lo, hi := max(0, i-12), min(len(rs), i+12)
			bad = append(bad, string(rs[lo:hi]))
		}
	}
	return bad
}

// insideAddress reports whether rune i of rs belongs to a URL.
func insideAddress(rs []rune, i int) bool {
	start := i
	for start > 0 && !unicode.IsSpace(rs[start-1]) {
		start--
	}
	end := i
	for end < len(rs) && !unicode.IsSpace(rs[end]) {
		end++
	}
	return strings.Contains(string(rs[start:end]), "://")
}

// Pattern matches a message as rendered with any data: the text as written,
// each {{.Placeholder}} standing for anything. Tests use it to find, or
// strike out, the places a message appears on a page.
func Pattern(lang, id string) (*regexp.Regexp, error) {
	m, err := Messages(lang)
	if err != nil {
		return nil, err
	}
	s, ok := m[id]
	if !ok {
		return nil, fmt.Errorf("i18n: no message %q in %s", id, lang)
	}
	parts := placeholder.Split(s, -1)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.Compile(strings.Join(parts, ".*?"))
}

var placeholder = regexp.MustCompile(`\{\{\s*\.\w+\s*\}\}`)

// DayMonth writes a calendar day the way the language says it in a
// sentence ("3 March", "3. März", "1er mars", "3 de marzo"), from t's own
// time zone: callers convert to the owner's zone first, so a cut-over at
// 23:00 UTC is the next day in Berlin.
func (l *Localizer) DayMonth(t time.Time) string {
	day := strconv.Itoa(t.Day())
	if l.lang == "fr" && t.Day() == 1 {
		day = "1er" // French ordinal for the first of the month
	}
	return l.T("date.day_month", map[string]any{"Day": day, "Month": l.T("date.month_" + strconv.Itoa(int(t.Month())))})
}
