// Tables owners and vehicles: the console's search, the one query file that
// crosses tables (a field of either, and a vehicle hit's owner).

package store

import (
	"context"
	"fmt"
	"strings"

	"reconnect/internal/model"
)

// SearchField is what a console search looks at.
type SearchField string

// The fields support staff search by.
const (
	SearchEmail      SearchField = "email"
	SearchHostUserID SearchField = "host_user_id"
	SearchSmartcarID SearchField = "smartcar_id"
	SearchVIN        SearchField = "vin"
)

// SearchFields lists them in the order results are shown.
var SearchFields = []SearchField{SearchEmail, SearchHostUserID, SearchSmartcarID, SearchVIN}

// Valid reports whether f is a known field.
func (f SearchField) Valid() bool {
	for _, k := range SearchFields {
		if f == k {
			return true
		}
	}
	return false
}

func (f SearchField) onVehicle() bool { return f == SearchSmartcarID || f == SearchVIN }

// Normalize spells a term the way the field is stored: VINs upper-case,
// emails and Smartcar ids (UUIDs) lower-case, host ids as given.
func (f SearchField) Normalize(term string) string {
	term = strings.TrimSpace(term)
	switch f {
	case SearchVIN:
		return strings.ToUpper(term)
	case SearchEmail, SearchSmartcarID:
		return strings.ToLower(term)
	}
	return term
}

// SearchQuery is one page of one field's matches, in (value, id) order.
// After continues from the last hit of the previous page.
type SearchQuery struct {
	Field  SearchField
	Term   string
	Prefix bool
	After  *SearchCursor
	Limit  int
}

// SearchCursor is where a page ended.
type SearchCursor struct {
	Value string
	ID    int64
}

// SearchHit is an owner matched by an owner field, or a vehicle (and its
// owner, when it has one) matched by a vehicle field.
type SearchHit struct {
	Owner   *model.Owner
	Vehicle *model.Vehicle
	Cursor  SearchCursor
}

// maxRune follows every character a prefix can be followed by, so
// [term, term+maxRune) is the prefix's range in byte order.
const maxRune = "\U0010FFFF"

// Search returns one page of matches and whether there are more. Every
// condition is on (field collated in byte order, id), which one index
// serves on both databases: exact lookups, prefix ranges and the page order,
// so a page costs the same on a million rows as on a hundred.
func (s *Store) Search(ctx context.Context, q SearchQuery) ([]SearchHit, bool, error) {
	if !q.Field.Valid() {
		return nil, false, fmt.Errorf("store: search field %q: %w", q.Field, ErrInvalid)
	}
	term := q.Field.Normalize(q.Term)
	if term == "" {
		return nil, false, nil
	}
	limit := q.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	collate := `COLLATE "C"`
	if !s.postgres() {
		collate = "COLLATE BINARY"
	}
	col := string(q.Field) + " " + collate
	db := s.q(ctx)
	if q.Field.onVehicle() {
		db = db.Model(&model.Vehicle{})
	} else {
		db = db.Model(&model.Owner{})
	}
	if q.Prefix {
		db = db.Where(col+" >= ? AND "+col+" < ?", term, term+maxRune)
	} else {
		db = db.Where(col+" = ?", term)
	}
	if q.After != nil {
		db = db.Where("("+col+", id) > (?, ?)", q.After.Value, q.After.ID)
	}
	db = db.Order(col).Order("id").Limit(limit + 1)

	var hits []SearchHit
	if q.Field.onVehicle() {
		var vs []model.Vehicle
		if err := db.Find(&vs).Error; err != nil {
			return nil, false, wrap(err, "search %s", q.Field)
		}
		owners, err := s.ownersOf(ctx, vs)
		if err != nil {
			return nil, false, err
		}
		for i := range vs {
			v := vs[i]
			h := SearchHit{Vehicle: &v, Cursor: SearchCursor{Value: fieldValue(q.Field, v, model.Owner{}), ID: v.ID}}
			if v.OwnerID != nil {
				if o, ok := owners[*v.OwnerID]; ok {
					h.Owner = &o
				}
			}
			hits = append(hits, h)
		}
	} else {
		var os []model.Owner
		if err := db.Find(&os).Error; err != nil {
			return nil, false, wrap(err, "search %s", q.Field)
		}
		for i := range os {
			o := os[i]
			hits = append(hits, SearchHit{Owner: &o, Cursor: SearchCursor{Value: fieldValue(q.Field, model.Vehicle{}, o), ID: o.ID}})
		}
	}
	more := len(hits) > limit
	if more {
		hits = hits[:limit]
	}
	return hits, more, nil
}

func fieldValue(f SearchField, v model.Vehicle, o model.Owner) string {
	switch f {
	case SearchVIN:
		return v.VIN
	case SearchSmartcarID:
		return v.SmartcarID
	case SearchEmail:
		return o.Email
	}
	return o.HostUserID
}

func (s *Store) ownersOf(ctx context.Context, vs []model.Vehicle) (map[int64]model.Owner, error) {
	var ids []int64
	for _, v := range vs {
		if v.OwnerID != nil {
			ids = append(ids, *v.OwnerID)
		}
	}
	out := make(map[int64]model.Owner, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var os []model.Owner
	if err := s.q(ctx).Where("id IN ?", ids).Find(&os).Error; err != nil {
		return nil, wrap(err, "owners of search hits")
	}
	for _, o := range os {
		out[o.ID] = o
	}
	return out, nil
}
