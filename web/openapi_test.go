package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"testing"

	"reconnect/internal/config"
	"reconnect/web/api"
)

// The OpenAPI document and the route table describe the same API: every
// /api/v1 route is documented and every documented operation exists.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	cfg, err := config.Load(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Deps{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	param := regexp.MustCompile(`:(\w+)`)
	routes := map[string]bool{}
	for _, r := range s.e.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Path == "/api/v1/openapi.json" || strings.HasSuffix(r.Path, "*") {
			continue
		}
		p := param.ReplaceAllString(strings.TrimPrefix(r.Path, "/api/v1"), "{$1}")
		routes[strings.ToLower(r.Method)+" "+p] = true
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			documented[m+" "+p] = true
		}
	}
	var missing, stale []string
	for r := range routes {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for d := range documented {
		if !routes[d] {
			stale = append(stale, d)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	if len(missing) > 0 || len(stale) > 0 {
		t.Fatalf("undocumented routes: %v; documented but not routed: %v", missing, stale)
	}
}

// The limits the document states are the limits the API applies: every
// string field of a request body has the maxLength of api.TextLimits.
func TestOpenAPIStatesEveryTextLimit(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					// A string, or a list such as ["string", "null"].
					Type      json.RawMessage `json:"type"`
					MaxLength *int            `json:"maxLength"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"OwnerInput", "VehicleInput", "LinkRequest"} {
		sch, ok := doc.Components.Schemas[name]
		if !ok || len(sch.Properties) == 0 {
			t.Fatalf("no schema %s", name)
		}
		for field, p := range sch.Properties {
			if string(p.Type) != `"string"` {
				continue
			}
			want, ok := api.TextLimits[field]
			if !ok {
				t.Errorf("%s.%s: the API has no limit for it", name, field)
				continue
			}
			if p.MaxLength == nil || *p.MaxLength != want {
				t.Errorf("%s.%s: maxLength %v, the API applies %d", name, field, p.MaxLength, want)
			}
		}
	}
}
