package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"reconnect/internal/audit"
	"reconnect/internal/i18n"
	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/internal/textcheck"
	"reconnect/internal/vehicletext"
	consoleviews "reconnect/views/console"
	"reconnect/web/paths"
	"reconnect/web/render"
)

// A search field's name and the heading of its matches are the messages
// console.search.field_<field> and console.search.heading_<field>.

// searchFieldsFor picks what an "any field" search looks in: an address is
// only ever an email; anything else may be any of the four.
func searchFieldsFor(q string) []store.SearchField {
	if strings.Contains(q, "@") {
		return []store.SearchField{store.SearchEmail}
	}
	return store.SearchFields
}

// Page sizes: a glance at each field when looking everywhere, a real page
// when paging through one field.
const (
	searchGlance = 10
	searchPage   = 50
)

func searchURL(q string, field store.SearchField, prefix bool, after *store.SearchCursor) string {
	v := url.Values{"q": {q}, "field": {string(field)}}
	if !prefix {
		v.Set("match", "exact")
	}
	if after != nil {
		v.Set("after", after.Value)
		v.Set("after_id", strconv.FormatInt(after.ID, 10))
	}
	return paths.ConsoleSearch(v)
}

// Search finds owners and vehicles by email, host user id, Smartcar vehicle
// id or VIN, exactly or by prefix, a page at a time.
func (con *Handler) Search(c echo.Context) error {
	ctx := c.Request().Context()
	q := strings.TrimSpace(c.QueryParam("q"))
	field := store.SearchField(c.QueryParam("field"))
	prefix := c.QueryParam("match") != "exact"
	v := consoleviews.SearchView{Chrome: con.chrome(c, i18n.T(ctx, "console.search.title"), "search"), Query: q, Prefix: prefix}
	v.Fields = append(v.Fields, consoleviews.Option{Value: "", Label: i18n.T(ctx, "console.search.any_field"), Selected: !field.Valid()})
	for _, f := range store.SearchFields {
		v.Fields = append(v.Fields, consoleviews.Option{Value: string(f), Label: i18n.T(ctx, "console.search.field_"+string(f)), Selected: f == field})
	}
	if q == "" {
		return render.HTML(c, http.StatusOK, consoleviews.Search(v))
	}
	var bad *textcheck.Error
	if errors.As(textcheck.Line("q", q, textcheck.Query), &bad) {
		v.Error = i18n.T(ctx, "console.search.bad_query")
		return render.HTML(c, http.StatusUnprocessableEntity, consoleviews.Search(v))
	}
	v.Searched = true
	fields, limit := searchFieldsFor(q), searchGlance
	var after *store.SearchCursor
	if field.Valid() {
		fields, limit = []store.SearchField{field}, searchPage
		if id, err := strconv.ParseInt(c.QueryParam("after_id"), 10, 64); err == nil {
			after = &store.SearchCursor{Value: c.QueryParam("after"), ID: id}
			v.FirstURL = searchURL(q, field, prefix, nil)
		}
	}
	for _, f := range fields {
		hits, more, err := con.Store.Search(ctx, store.SearchQuery{Field: f, Term: q, Prefix: prefix, After: after, Limit: limit})
		if err != nil {
			return err
		}
		if len(hits) == 0 {
			continue
		}
		g := consoleviews.SearchGroup{Field: string(f), Heading: i18n.T(ctx, "console.search.heading_"+string(f))}
		for _, h := range hits {
			r, err := con.searchRow(c, h, f, q, prefix)
			if err != nil {
				return err
			}
			g.Rows = append(g.Rows, r)
		}
		if more {
			g.NextURL = searchURL(q, f, prefix, &hits[len(hits)-1].Cursor)
		}
		v.Groups = append(v.Groups, g)
	}
	match := "starts with"
	if !prefix {
		match = "is"
	}
	in := "any field"
	if field.Valid() {
		in = string(field)
	}
	if after == nil {
		cur, _ := currentStaff(c)
		// The query itself is often an owner's email or VIN: the trail keeps
		// what kind of search it was, never the personal value searched for.
		detail := fmt.Sprintf("%s %s a query of %d characters", in, match, utf8.RuneCountInString(q))
		if err := con.Audit.RecordLook(ctx, audit.Entry{Actor: con.actor(c, cur), Action: model.AuditOwnerSearched, Detail: detail}); err != nil {
			return err
		}
	}
	return render.HTML(c, http.StatusOK, consoleviews.Search(v))
}

// searchRow is one hit: an owner found by their email or host user id
// comes with all their cars and states, since "is it broken?" is the
// question behind most searches; a car found by its ids comes alone.
func (con *Handler) searchRow(c echo.Context, h store.SearchHit, f store.SearchField, q string, prefix bool) (consoleviews.SearchRow, error) {
	var r consoleviews.SearchRow
	if h.Owner != nil {
		r.OwnerURL, r.OwnerName, r.OwnerEmail, r.HostUserID = paths.ConsoleOwner(h.Owner.ID), ownerName(*h.Owner), h.Owner.Email, h.Owner.HostUserID
	}
	var cars []model.Vehicle
	switch {
	case h.Vehicle != nil:
		cars = []model.Vehicle{*h.Vehicle}
	case h.Owner != nil:
		vs, err := con.Store.VehiclesByOwner(c.Request().Context(), h.Owner.ID)
		if err != nil {
			return r, err
		}
		cars = vs
	}
	for _, v := range cars {
		r.Cars = append(r.Cars, consoleviews.SearchCar{Title: vehicletext.Title(v), VIN: v.VIN, SmartcarID: v.SmartcarID, Chip: consoleChip(v.State),
			OwnerChangedAt: v.OwnerChangedAt, OwnerChangeSuspected: v.OwnerChangedAt != nil && v.State == model.StateDeclined})
	}
	var value string
	switch f {
	case store.SearchEmail:
		value = r.OwnerEmail
	case store.SearchHostUserID:
		value = r.HostUserID
	case store.SearchVIN, store.SearchSmartcarID:
		if h.Vehicle != nil {
			value = h.Vehicle.VIN
			if f == store.SearchSmartcarID {
				value = h.Vehicle.SmartcarID
			}
		}
	}
	r.Match = consoleviews.Highlight{Field: string(f), Len: matchLen(value, q, prefix)}
	return r, nil
}

// matchLen is how many leading bytes of value the query matched: the
// store compares without case for these fields, so the highlight does too.
func matchLen(value, q string, prefix bool) int {
	if !prefix {
		if strings.EqualFold(value, q) {
			return len(value)
		}
		return 0
	}
	n := utf8.RuneCountInString(q)
	i := 0
	for k := range value {
		if n == 0 {
			break
		}
		n--
		_, size := utf8.DecodeRuneInString(value[k:])
		i = k + size
	}
	if n > 0 || !strings.EqualFold(value[:i], q) {
		return 0
	}
	return i
}
