package smartcarsim

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// managementAuthLocked checks Basic base64("default:"+AMT).
func (s *Sim) managementAuthLocked(w http.ResponseWriter, r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok || user != "default" || !s.isAMT(pass) {
		s.writeV2ErrorLocked(w, authenticationError())
		return false
	}
	return true
}

// sortedConnectionsLocked lists connections newest first; the id breaks ties
// so that a cursor is unambiguous.
func (s *Sim) sortedConnectionsLocked(keep func(*connection) bool) []*connection {
	var out []*connection
	for _, c := range s.conns {
		if keep(c) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *connection) int {
		if n := b.createdAt.Compare(a.createdAt); n != 0 {
			return n
		}
		return strings.Compare(b.id, a.id)
	})
	return out
}

// The cursor names the last connection of the previous page, so that pages
// stay stable while new connections arrive at the top.
func encodeCursor(c *connection) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.createdAt.UnixNano(), 10) + "|" + c.id))
}

func afterCursor(list []*connection, cursor string) ([]*connection, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, false
	}
	nanos, id, ok := strings.Cut(string(raw), "|")
	n, err := strconv.ParseInt(nanos, 10, 64)
	if !ok || err != nil {
		return nil, false
	}
	for i, c := range list {
		cn := c.createdAt.UnixNano()
		if cn < n || (cn == n && c.id < id) {
			return list[i:], true
		}
	}
	return nil, true
}

// cursorPaging has a null cursor on the last page.
type cursorPaging struct {
	Cursor *string `json:"cursor"`
}

func (s *Sim) managementList(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.managementAuthLocked(w, r) {
		return
	}
	q := r.URL.Query()
	limit := 10
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			s.writeV2ErrorLocked(w, validationError("PARAMETER", "limit must be a whole number from 1 to 100."))
			return
		}
		limit = n
	}
	userID, vehicleID, mode := q.Get("user_id"), q.Get("vehicle_id"), q.Get("mode")
	list := s.sortedConnectionsLocked(func(c *connection) bool {
		return (userID == "" || c.user.id == userID) && (vehicleID == "" || c.vehicle.id == vehicleID) &&
			(mode == "" || c.mode == mode)
	})
	if cursor := q.Get("cursor"); cursor != "" {
		var ok bool
		if list, ok = afterCursor(list, cursor); !ok {
			s.writeV2ErrorLocked(w, validationError("PARAMETER", "cursor is not valid."))
			return
		}
	}
	type item struct {
		UserID      string `json:"userId"`
		VehicleID   string `json:"vehicleId"`
		ConnectedAt string `json:"connectedAt"`
		Mode        string `json:"mode"`
	}
	items := []item{}
	for _, c := range list[:min(limit, len(list))] {
		items = append(items, item{c.user.id, c.vehicle.id, isoTime(c.createdAt), c.mode})
	}
	var next *string
	if len(list) > limit {
		cur := encodeCursor(list[limit-1])
		next = &cur
	}
	writeJSON(w, http.StatusOK, struct {
		Connections []item       `json:"connections"`
		Paging      cursorPaging `json:"paging"`
	}{items, cursorPaging{next}})
}

// managementDelete removes connections by user, by vehicle, or (newer
// docs) both at once.
func (s *Sim) managementDelete(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.managementAuthLocked(w, r) {
		return
	}
	userID, vehicleID := r.URL.Query().Get("user_id"), r.URL.Query().Get("vehicle_id")
	if userID == "" && vehicleID == "" {
		s.writeV2ErrorLocked(w, validationError("PARAMETER", "Either user_id or vehicle_id is required."))
		return
	}
	list := s.sortedConnectionsLocked(func(c *connection) bool {
		return (userID == "" || c.user.id == userID) && (vehicleID == "" || c.vehicle.id == vehicleID)
	})
	type item struct {
		UserID    string `json:"userId"`
		VehicleID string `json:"vehicleId"`
	}
	items := []item{}
	for _, c := range list {
		s.deleteConnectionLocked(c)
		items = append(items, item{c.user.id, c.vehicle.id})
	}
	writeJSON(w, http.StatusOK, map[string]any{"connections": items})
}
