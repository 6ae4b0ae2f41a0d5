package middleware

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// UnmatchedRoute labels every request that matched no route of ours, so
// that a scanner's made-up paths all share one series.
const UnmatchedRoute = "unmatched"

// otherMethod labels a method outside the standard set: Echo routes any
// method to an Any route, and a client may invent as many as it likes.
const otherMethod = "OTHER"

var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// Metrics counts requests by labels the server chooses, never the client:
// the status the client received, the method from a fixed set, and the
// route's template (or UnmatchedRoute). A Host header, a raw path or a
// user agent would each let anyone mint series until memory runs out.
//
// isRoute says whether a template is one of the route table's own;
// Echo also routes unknown paths to catch-alls it adds for groups, and
// those count as unmatched.
//
// It runs outside every other middleware and hands any error to the one
// error handler itself, so what it counts is what was sent (a refused API
// key is a 401, not the 500 a bare error would suggest).
func Metrics(reg prometheus.Registerer, isRoute func(template string) bool) echo.MiddlewareFunc {
	labels := []string{"code", "method", "route"}
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Subsystem: "http", Name: "requests_total",
		Help: "HTTP requests answered, by status sent, method and route template.",
	}, labels)
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Subsystem: "http", Name: "request_duration_seconds",
		Help: "Time to answer an HTTP request, by status sent, method and route template.", Buckets: prometheus.DefBuckets,
	}, labels)
	size := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Subsystem: "http", Name: "response_size_bytes",
		Help:    "Bytes of HTTP response bodies, by status sent, method and route template.",
		Buckets: prometheus.ExponentialBuckets(256, 4, 8),
	}, labels)
	reg.MustRegister(requests, duration, size)

	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			if err := next(c); err != nil {
				c.Error(err)
			}
			route := c.Path()
			if route == "" || !isRoute(route) {
				route = UnmatchedRoute
			}
			method := c.Request().Method
			if !knownMethods[method] {
				method = otherMethod
			}
			res := c.Response()
			values := []string{strconv.Itoa(res.Status), method, route}
			requests.WithLabelValues(values...).Inc()
			duration.WithLabelValues(values...).Observe(time.Since(start).Seconds())
			size.WithLabelValues(values...).Observe(float64(res.Size))
			return nil
		}
	}
}
