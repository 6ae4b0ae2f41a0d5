// Package vehicletext names vehicles and explains their states the way
// owners read them, for the owner's page and the emails alike.
package vehicletext

import (
	"fmt"
	"strings"

	"reconnect/internal/model"
)

// makeStyles are the makes not written in title case.
var makeStyles = map[string]string{"BMW": "BMW", "GMC": "GMC", "MINI": "MINI", "MG": "MG", "DS": "DS", "CUPRA": "CUPRA", "MERCEDES_BENZ": "Mercedes-Benz", "MERCEDES-BENZ": "Mercedes-Benz"}

// MakeName turns Smartcar's upper-case make into the name owners know.
func MakeName(make string) string {
	m := strings.TrimSpace(make)
	if s, ok := makeStyles[strings.ToUpper(m)]; ok {
		return s
	}
	parts := strings.Split(strings.ToLower(strings.ReplaceAll(m, "_", "-")), "-")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "-")
}

// Title is "2021 Tesla Model 3".
func Title(v model.Vehicle) string {
	var parts []string
	if v.Year > 0 {
		parts = append(parts, fmt.Sprint(v.Year))
	}
	if v.Make != "" {
		parts = append(parts, MakeName(v.Make))
	}
	if v.Model != "" {
		parts = append(parts, v.Model)
	}
	if len(parts) == 0 {
		return "your car"
	}
	return strings.Join(parts, " ")
}

// ReasonKeys picks the catalogue keys of the explanation and the next step
// for a vehicle's state and reason. A carmaker-side next step says only what
// to do at the carmaker; FixFirst tells the caller to add how to come back
// (a button on a page, a link in plain text).
func ReasonKeys(v model.Vehicle) (reason, todo string) {
	code := model.OEMCase(strings.ToLower(reasonCode(v.Reason)))
	switch v.State {
	case model.StateNeedsReauth, model.StateReconnecting:
		reason, todo = "reason.auth_failed", "todo.reauth"
		if code == "permission" {
			reason = "reason.permission"
		}
		if v.State == model.StateReconnecting {
			reason = "reason.reconnecting"
		}
		if code.Valid() {
			todo = "todo." + string(code)
		}
	case model.StateNeedsOEMAction:
		c, _ := OEMCaseOf(v)
		if !code.Valid() {
			return "reason.generic", "todo." + string(c)
		}
		return "reason." + string(c), "todo." + string(c)
	case model.StateNeedsVirtualKey:
		return "reason.virtual_key", "todo.virtual_key"
	case model.StateDeclined:
		return "reason.declined", ""
	}
	return reason, todo
}

// FixFirst reports whether a next step (a key from ReasonKeys) is done at
// the carmaker, so the owner has to be told to come back afterwards.
func FixFirst(todo string) bool {
	c, ok := strings.CutPrefix(todo, "todo.")
	return ok && model.OEMCase(c).Valid()
}
