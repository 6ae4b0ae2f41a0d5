package repair

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"reconnect/internal/model"
	"reconnect/internal/smartcar"
)

// ConnectErrors makes Connect's errors visible to the people who can fix
// them: every one is counted by code, and a configuration_error (our
// application's settings at Smartcar: redirect URI, scopes, mode), which
// only staff can fix, is logged as an error. The owner is told "we have
// been told"; this is the telling. A nil *ConnectErrors does nothing.
type ConnectErrors struct {
	log   *slog.Logger
	total *prometheus.CounterVec
}

// connectErrorCodes are the labels of the counter. The code comes from a
// query string, so anything else is counted as "other": a label per
// string a visitor types would grow the series without bound.
var connectErrorCodes = []smartcar.ConnectError{
	smartcar.ConnectAccessDenied, smartcar.ConnectInvalidSubscription, smartcar.ConnectNoVehicles,
	smartcar.ConnectVehicleIncompatible, smartcar.ConnectConfigurationError, smartcar.ConnectServerError,
}

const otherConnectError = "other"

// NewConnectErrors registers reconnect_connect_errors_total on reg (nil: a
// private registry) with every code at zero, so an alert can watch a code
// before it first happens.
func NewConnectErrors(log *slog.Logger, reg prometheus.Registerer) *ConnectErrors {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &ConnectErrors{log: log, total: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "reconnect", Name: "connect_errors_total",
		Help: "Smartcar Connect callbacks that ended in an error, by Connect's error code.",
	}, []string{"error"})}
	for _, c := range connectErrorCodes {
		m.total.WithLabelValues(string(c))
	}
	m.total.WithLabelValues(otherConnectError)
	reg.MustRegister(m.total)
	return m
}

// observe counts and logs one failed callback. Only what Smartcar said and
// which vehicle are logged: never the state, a code or a token.
func (m *ConnectErrors) observe(ctx context.Context, cb smartcar.Callback, v model.Vehicle) {
	if m == nil {
		return
	}
	label := otherConnectError
	for _, c := range connectErrorCodes {
		if cb.Error == c {
			label = string(c)
		}
	}
	m.total.WithLabelValues(label).Inc()
	attrs := []any{"error", label, "vehicle", v.ID, "make", v.Make}
	if cb.Error != smartcar.ConnectConfigurationError {
		m.log.InfoContext(ctx, "connect: owner came back with an error", attrs...)
		return
	}
	attrs = append(attrs, "status_code", cb.StatusCode, "error_message", clipLog(cb.ErrorMessage), "description", clipLog(cb.ErrorDescription))
	m.log.ErrorContext(ctx, "connect: configuration error; check the application's settings at Smartcar (redirect URI, scopes, mode)", attrs...)
}

// clipLog keeps Smartcar's words in a log line short.
func clipLog(s string) string {
	if len(s) > 300 {
		return s[:300]
	}
	return s
}
