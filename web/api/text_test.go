package api_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/web/api"
	"reconnect/web/webtest"
)

// body is a JSON object with one string field whose value is written as
// is, so that it can hold what json.Marshal would repair (invalid UTF-8).
func body(base map[string]any, field, rawValue string) []byte {
	b, _ := json.Marshal(base)
	s := strings.TrimSuffix(string(b), "}")
	if s != "{" {
		s += ","
	}
	return []byte(s + `"` + field + `":"` + rawValue + `"}`)
}

// Every text field the API accepts is capped at its documented length and
// refuses control characters and invalid UTF-8, with 422 naming the field.
func TestAPITextFieldsAreCappedAndClean(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := webtest.NewDetection(t, db)
		if status, res := d.API(http.MethodPut, "/api/v1/owners/o-1", []byte(`{"name":"Dana"}`)); status != 200 {
			t.Fatalf("owner: %d %v", status, res)
		}
		type endpoint struct {
			name, method, path string
			base               map[string]any
			fields             []string
		}
		for _, ep := range []endpoint{
			{"owner PUT", http.MethodPut, "/api/v1/owners/o-1", map[string]any{}, []string{"email", "name", "locale", "time_zone"}},
			{"vehicle PUT", http.MethodPut, "/api/v1/owners/o-1/vehicles/v-1", map[string]any{}, []string{"make", "model", "vin", "nickname", "smartcar_user_id"}},
			{"link create", http.MethodPost, "/api/v1/links", map[string]any{"purpose": "email"}, []string{"host_user_id", "vehicle_id", "return_url", "purpose"}},
		} {
			for _, field := range ep.fields {
				limit := api.TextLimits[field]
				for what, value := range map[string]string{
					"too long":      strings.Repeat("a", limit+1),
					"NUL":           `a\u0000b`,
					"DEL":           "a\x7fb",
					"C1":            "a\u0085b",
					"escaped C1":    `a\u009bb`,
					"line break":    `a\nb`,
					"invalid UTF-8": "a\xffb",
				} {
					status, res := d.API(ep.method, ep.path, body(ep.base, field, value))
					e, _ := res["error"].(map[string]any)
					if status != http.StatusUnprocessableEntity || e["field"] != field || e["code"] != "invalid_field" {
						t.Errorf("%s, %s %s: %d %v", ep.name, field, what, status, res)
					}
				}
			}
		}
		// At the limit is accepted: the longest model, in three-byte characters.
		long := strings.Repeat("€", api.TextLimits["model"])
		if status, res := d.API(http.MethodPut, "/api/v1/owners/o-1/vehicles/v-1", body(map[string]any{"make": "TESLA"}, "model", long)); status != 200 || res["model"] != long {
			t.Fatalf("a model at the limit: %d", status)
		}
		// The example of the issue: a 2,300-character model.
		status, res := d.API(http.MethodPut, "/api/v1/owners/o-1/vehicles/v-1", body(map[string]any{}, "model", strings.Repeat("M", 2300)))
		if e, _ := res["error"].(map[string]any); status != 422 || e["field"] != "model" {
			t.Fatalf("a 2,300-character model: %d %v", status, res)
		}
		// Ids in the path are text too.
		for _, p := range []string{"/api/v1/owners/o%00x", "/api/v1/owners/o%7Fx", "/api/v1/owners/o%C2%85x", "/api/v1/owners/o%FFx", "/api/v1/owners/" + strings.Repeat("o", 256)} {
			if status, res := d.API(http.MethodPut, p, []byte(`{}`)); status != 422 || res["error"].(map[string]any)["field"] != "host_user_id" {
				t.Errorf("PUT %s: %d %v", p, status, res)
			}
		}
		// The reported error's own fields, on the same rules.
		smartcarErr := `"error":{"type":"SERVER","code":"INTERNAL","description":"d"}`
		for what, tc := range map[string]struct{ body, field string }{
			"NUL in vehicle_id":           {`{"vehicle_id":"v\u0000x",` + smartcarErr + `}`, "vehicle_id"},
			"DEL in vehicle_id":           {"{\"vehicle_id\":\"v\x7fx\"," + smartcarErr + "}", "vehicle_id"},
			"C1 in vehicle_id":            {"{\"vehicle_id\":\"v\u0085x\"," + smartcarErr + "}", "vehicle_id"},
			"invalid UTF-8 in vehicle_id": {"{\"vehicle_id\":\"v\xffx\"," + smartcarErr + "}", "vehicle_id"},
			"NUL in occurred_at":          {`{"vehicle_id":"v","occurred_at":"2024\u0000",` + smartcarErr + `}`, "occurred_at"},
			"NUL in the description":      {`{"vehicle_id":"v","error":{"type":"SERVER","code":"INTERNAL","description":"d\u0000"}}`, "error"},
			"C1 in the description":       {`{"vehicle_id":"v","error":{"type":"SERVER","code":"INTERNAL","description":"d\u0085"}}`, "error"},
			"invalid UTF-8 in the error":  {"{\"vehicle_id\":\"v\",\"error\":{\"type\":\"SERVER\",\"code\":\"INTERNAL\",\"description\":\"d\xff\"}}", "error"},
		} {
			status, res := d.API(http.MethodPost, "/api/v1/errors", []byte(tc.body))
			if e, _ := res["error"].(map[string]any); status != 422 || e["field"] != tc.field {
				t.Errorf("error report, %s: %d %v", what, status, res)
			}
		}
		// A description with line breaks is what Smartcar sends; it is fine.
		if status, res := d.API(http.MethodPost, "/api/v1/errors", []byte(`{"vehicle_id":"v","error":{"type":"SERVER","code":"INTERNAL","description":"line\nbreak\ttab"}}`)); status != 202 {
			t.Fatalf("a multi-line description: %d %v", status, res)
		}
	})
}

// Every string field of every request body has a limit (bindJSON refuses
// to decode one that has not).
func TestEveryRequestFieldHasALimit(t *testing.T) {
	for _, typ := range api.RequestTypes() {
		var walk func(reflect.Type)
		walk = func(rt reflect.Type) {
			for i := range rt.NumField() {
				f := rt.Field(i)
				if f.Anonymous {
					walk(f.Type)
					continue
				}
				if f.Type.Kind() != reflect.String {
					continue
				}
				name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				if _, ok := api.TextLimits[name]; !ok {
					t.Errorf("%s.%s (%q) has no limit", rt.Name(), f.Name, name)
				}
			}
		}
		walk(typ)
	}
}
