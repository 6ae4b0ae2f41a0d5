package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"reconnect/internal/audit"
	"reconnect/internal/config"
	"reconnect/internal/dbtest"
	"reconnect/internal/staff"
	"reconnect/internal/store"
	"reconnect/web/middleware"
	"reconnect/web/paths"
)

const metricsToken = "scrape-token-0123456789abcdef"

// metricsServer is the real router over a real database, on a real
// listener, with a scrape token and an API key.
type metricsServer struct {
	s      *Server
	url    string
	apiKey string
	reg    *prometheus.Registry
}

func newMetricsServer(t *testing.T, env map[string]string, extra func(e *echo.Echo)) metricsServer {
	t.Helper()
	cfg, err := config.Load(env)
	if err != nil {
		t.Fatal(err)
	}
	db := dbtest.Open(t, "sqlite")
	st := store.New(db)
	reg := prometheus.NewRegistry()
	s, err := New(Deps{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db, Store: st, Registry: reg,
		Staff: staff.New(st, audit.New(st), staff.Config{}), Audit: audit.New(st)})
	if err != nil {
		t.Fatal(err)
	}
	if extra != nil {
		extra(s.e)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	_, key, err := st.CreateAPIKey(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return metricsServer{s: s, url: srv.URL, apiKey: key, reg: reg}
}

func (m metricsServer) do(t *testing.T, method, path, host string, header map[string]string, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, m.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// scrape reads /metrics on the public listener with the token and returns
// its series (one per sample line).
func (m metricsServer) scrape(t *testing.T) []string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, m.url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+metricsToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("scrape: %d", res.StatusCode)
	}
	var series []string
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			series = append(series, line[:strings.LastIndexByte(line, ' ')])
		}
	}
	return series
}

// requests counts http_requests_total by its labels, as the registry holds it.
func (m metricsServer) requests(t *testing.T) map[string]float64 {
	t.Helper()
	fams, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		if f.GetName() != "http_requests_total" {
			continue
		}
		for _, mt := range f.GetMetric() {
			l := map[string]string{}
			for _, p := range mt.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			if len(l) != 3 {
				t.Fatalf("http_requests_total has labels %v, want code, method and route", l)
			}
			out[l["code"]+" "+l["method"]+" "+l["route"]] += mt.GetCounter().GetValue()
		}
	}
	return out
}

// Ten thousand requests with random Host headers, unknown paths, made-up
// methods and user agents add not one series: every label is chosen by
// the server.
func TestClientChosenValuesAddNoMetricSeries(t *testing.T) {
	m := newMetricsServer(t, map[string]string{"METRICS_TOKEN": metricsToken}, nil)
	methods := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
	prefixes := []string{"/", "/api/v1/", "/console/", "/static/", "/webhooks/", "/dev/"}
	// One of each kind first, so that the series these kinds make exist.
	for _, meth := range append(methods, "BREW") {
		for _, p := range prefixes {
			m.do(t, meth, p+"warm/up", "", nil, "")
		}
	}
	m.scrape(t)
	before := m.scrape(t)

	rnd := func() string { return fmt.Sprintf("%x", rand.Uint64()) }
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1250; i++ {
				meth := methods[rand.IntN(len(methods))]
				if rand.IntN(4) == 0 {
					meth = "X" + strings.ToUpper(rnd())
				}
				path := prefixes[rand.IntN(len(prefixes))] + rnd() + "/" + rnd()
				m.do(t, meth, path, rnd()+".example", map[string]string{"User-Agent": rnd()}, "")
			}
		}()
	}
	wg.Wait()
	after := m.scrape(t)
	if len(after) != len(before) {
		seen := map[string]bool{}
		for _, s := range before {
			seen[s] = true
		}
		var added []string
		for _, s := range after {
			if !seen[s] {
				added = append(added, s)
			}
		}
		t.Fatalf("%d series before 10,000 random requests, %d after; new: %v", len(before), len(after), added[:min(len(added), 10)])
	}
	t.Logf("series before and after 10,000 random requests: %d", len(after))
	for _, s := range after {
		if strings.Contains(s, ".example") || strings.Contains(s, "host=") {
			t.Fatalf("a client-chosen value became a label: %s", s)
		}
	}
	// Counted all the same, not dropped: mostly as unmatched, the rest
	// under the static files' route.
	total := 0.0
	for k, n := range m.requests(t) {
		if strings.HasSuffix(k, " "+middleware.UnmatchedRoute) || strings.HasSuffix(k, " /static/*") {
			total += n
		}
	}
	if total < 10000 {
		t.Fatalf("%v requests counted, want the 10,000 at least", total)
	}
}

// The code label is the status the client received, after the one error
// handler ran: API errors and CSRF refusals are not server errors.
func TestMetricsCountTheStatusSent(t *testing.T) {
	m := newMetricsServer(t, map[string]string{"METRICS_TOKEN": metricsToken}, func(e *echo.Echo) {
		e.GET("/boom", func(echo.Context) error { return errors.New("boom") })
		e.GET("/panic", func(echo.Context) error { panic("boom") })
	})
	bearer := map[string]string{"Authorization": "Bearer " + m.apiKey, "Content-Type": "application/json"}
	for _, tc := range []struct {
		method, path string
		header       map[string]string
		body         string
		want         int
		series       string
	}{
		{"GET", "/api/v1/owners/u-1/status", map[string]string{"Authorization": "Bearer wrong"}, "", 401, "401 GET /api/v1/owners/:host_user_id/status"},
		{"POST", paths.LinkResend(), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "email=a%40example.com", 403, "403 POST " + paths.RouteLinkResend},
		{"PUT", "/api/v1/owners/u-1", bearer, `{"email":"not an email"}`, 422, "422 PUT /api/v1/owners/:host_user_id"},
		{"GET", "/no/such/page", nil, "", 404, "404 GET unmatched"},
		{"GET", "/boom", nil, "", 500, "500 GET /boom"},
		{"GET", "/panic", nil, "", 500, "500 GET /panic"},
	} {
		if got := m.do(t, tc.method, tc.path, "", tc.header, tc.body); got != tc.want {
			t.Fatalf("%s %s answered %d, want %d", tc.method, tc.path, got, tc.want)
		}
		counts := m.requests(t)
		if counts[tc.series] != 1 {
			t.Fatalf("after %s %s (%d): %v, want one %q", tc.method, tc.path, tc.want, counts, tc.series)
		}
		if tc.want < 500 {
			for k := range counts {
				if strings.HasPrefix(k, "500 ") && !strings.Contains(k, "boom") && !strings.Contains(k, "panic") {
					t.Fatalf("a %d was counted as %s", tc.want, k)
				}
			}
		}
	}
}

// /metrics is not on the public listener unless METRICS_TOKEN is set, and
// then only for its bearer.
func TestPublicMetricsNeedTheToken(t *testing.T) {
	off := newMetricsServer(t, map[string]string{}, nil)
	if got := off.do(t, "GET", "/metrics", "", nil, ""); got != 404 {
		t.Fatalf("without METRICS_TOKEN: %d, want 404", got)
	}
	if got := off.do(t, "GET", "/metrics", "", map[string]string{"Authorization": "Bearer anything-at-all-0123456789"}, ""); got != 404 {
		t.Fatalf("without METRICS_TOKEN, with a bearer: %d, want 404", got)
	}
	on := newMetricsServer(t, map[string]string{"METRICS_TOKEN": metricsToken}, nil)
	for name, header := range map[string]map[string]string{
		"no token":        nil,
		"a wrong token":   {"Authorization": "Bearer " + metricsToken[:len(metricsToken)-1] + "X"},
		"a longer token":  {"Authorization": "Bearer " + metricsToken + "0"},
		"not a bearer":    {"Authorization": "Basic " + metricsToken},
		"the API's token": {"Authorization": "Bearer " + on.apiKey},
	} {
		if got := on.do(t, "GET", "/metrics", "", header, ""); got != 401 {
			t.Errorf("%s: %d, want 401", name, got)
		}
	}
	if got := on.do(t, "GET", "/metrics", "", map[string]string{"Authorization": "Bearer " + metricsToken}, ""); got != 200 {
		t.Fatalf("with the token: %d, want 200", got)
	}
	if len(on.scrape(t)) == 0 {
		t.Fatal("an empty scrape")
	}
}

// Go's profiles are served on the private metrics listener only: the
// public one answers 404 for them, even to the scrape token's bearer.
func TestProfilesOnlyOnTheMetricsListener(t *testing.T) {
	m := newMetricsServer(t, map[string]string{"METRICS_TOKEN": metricsToken}, nil)
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/profile?seconds=1"} {
		if got := m.do(t, "GET", path, "", map[string]string{"Authorization": "Bearer " + metricsToken}, ""); got != 404 {
			t.Errorf("public %s: %d, want 404", path, got)
		}
	}
	private := httptest.NewServer(m.s.MetricsServer("").Handler)
	t.Cleanup(private.Close)
	for path, want := range map[string]string{
		"/debug/pprof/":                  "goroutine",
		"/debug/pprof/heap?debug=1":      "heap profile",
		"/debug/pprof/goroutine?debug=1": "goroutine profile",
	} {
		res, err := http.Get(private.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("private %s: %d, %.80q; want 200 with %q", path, res.StatusCode, body, want)
		}
	}
	res, err := http.Get(private.URL + "/debug/pprof/profile?seconds=1")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("CPU profile: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}
