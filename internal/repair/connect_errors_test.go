package repair

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"reconnect/internal/model"
	"reconnect/internal/smartcar"
)

// counted reads reconnect_connect_errors_total by label from reg.
func counted(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "reconnect_connect_errors_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			out[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
		}
	}
	return out
}

// Every Connect error is counted by its code (anything else as "other"),
// and a configuration error, which only staff can fix, is logged as an
// error with Smartcar's words and without the state or a code.
func TestConnectErrorsAreCountedAndConfigurationErrorsLogged(t *testing.T) {
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	m := NewConnectErrors(slog.New(slog.NewJSONHandler(&logs, nil)), reg)
	v := model.Vehicle{ID: 7, Make: "TESLA"}
	ctx := context.Background()

	if n, ok := counted(t, reg)["configuration_error"]; !ok || n != 0 {
		t.Fatalf("before any error: %v %v", n, ok)
	}
	for _, code := range connectErrorCodes {
		m.observe(ctx, smartcar.Callback{Error: code, State: "secret-state"}, v)
	}
	m.observe(ctx, smartcar.Callback{Error: "made_up_by_a_visitor"}, v)
	m.observe(ctx, smartcar.Callback{Error: smartcar.ConnectConfigurationError, State: "secret-state", Code: "secret-code",
		StatusCode: 400, ErrorMessage: "Invalid redirect_uri", ErrorDescription: "The redirect URI is not registered"}, v)

	got := counted(t, reg)
	for _, code := range connectErrorCodes {
		want := 1.0
		if code == smartcar.ConnectConfigurationError {
			want = 2
		}
		if got[string(code)] != want {
			t.Errorf("reconnect_connect_errors_total{error=%q} = %v, want %v", code, got[string(code)], want)
		}
	}
	if got["other"] != 1 || len(got) != len(connectErrorCodes)+1 {
		t.Errorf("an unknown code is counted as other, and only the known codes have series: %v", got)
	}

	var errorLines []string
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if strings.Contains(l, `"level":"ERROR"`) {
			errorLines = append(errorLines, l)
		}
	}
	if len(errorLines) != 2 {
		t.Fatalf("%d error lines, want one per configuration error:\n%s", len(errorLines), logs.String())
	}
	last := errorLines[1]
	for _, want := range []string{`"error":"configuration_error"`, `"vehicle":7`, `"status_code":400`, "Invalid redirect_uri", "not registered"} {
		if !strings.Contains(last, want) {
			t.Errorf("the log line lacks %s: %s", want, last)
		}
	}
	if strings.Contains(logs.String(), "secret-") {
		t.Errorf("the state or a code was logged: %s", logs.String())
	}
}
