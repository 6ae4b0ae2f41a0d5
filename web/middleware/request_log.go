package middleware

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// refusalsPerSecond bounds the individual lines a busy route's refusals get;
// the rest are counted in the summary.
const refusalsPerSecond = 10

// RequestLog writes one structured line per request, except on the busy
// routes given (route templates such as the Smartcar webhook's): there a
// burst of a hundred thousand deliveries must not cost a hundred thousand log
// lines, so answers below 400 are counted and summed into one line a second
// by status, and refusals are logged one by one up to refusalsPerSecond a
// second (the rest are counted). Query strings are left out because owner
// links and Connect callbacks carry secrets in them.
func RequestLog(log *slog.Logger, busy ...string) echo.MiddlewareFunc {
	sum := &summary{log: log}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			req, res := c.Request(), c.Response()
			path := c.Path()
			if path == "" {
				path = "(unmatched)"
			}
			if slices.Contains(busy, path) && !sum.logIndividually(path, res.Status) {
				return nil
			}
			level := slog.LevelInfo
			switch {
			case res.Status >= 500:
				level = slog.LevelError
			case res.Status >= 400:
				level = slog.LevelWarn
			}
			method := req.Method
			if IsHead(c) {
				method = http.MethodHead // HeadAsGet runs it as the GET
			}
			log.LogAttrs(req.Context(), level, "request",
				slog.String("id", res.Header().Get(echo.HeaderXRequestID)),
				slog.String("method", method),
				slog.String("route", path),
				slog.Int("status", res.Status),
				slog.Int64("bytes", res.Size),
				slog.Duration("took", time.Since(start)),
				slog.String("ip", c.RealIP()),
			)
			return nil
		}
	}
}

// summary counts a busy route's answers for the current second and logs
// them when the second is over.
type summary struct {
	log *slog.Logger

	mu       sync.Mutex
	counts   map[string]map[int]int // route → status → answers
	refusals int                    // refusals logged individually this second
	pending  bool                   // a flush is scheduled
}

// logIndividually counts an answer on a busy route and reports whether it
// should also get a line of its own: a 5xx always, a 4xx while the second's
// allowance lasts, anything else never.
func (s *summary) logIndividually(route string, status int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status >= 500 {
		return true
	}
	if status >= 400 && s.refusals < refusalsPerSecond {
		s.refusals++
		return true
	}
	if s.counts == nil {
		s.counts = map[string]map[int]int{}
	}
	if s.counts[route] == nil {
		s.counts[route] = map[int]int{}
	}
	s.counts[route][status]++
	if !s.pending {
		s.pending = true
		time.AfterFunc(time.Second, s.flush)
	}
	return false
}

func (s *summary) flush() {
	s.mu.Lock()
	counts := s.counts
	s.counts, s.refusals, s.pending = nil, 0, false
	s.mu.Unlock()
	routes := make([]string, 0, len(counts))
	for r := range counts {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, route := range routes {
		attrs := []slog.Attr{slog.String("route", route)}
		statuses := make([]int, 0, len(counts[route]))
		total := 0
		for st, n := range counts[route] {
			statuses = append(statuses, st)
			total += n
		}
		sort.Ints(statuses)
		for _, st := range statuses {
			attrs = append(attrs, slog.Int("status_"+strconv.Itoa(st), counts[route][st]))
		}
		attrs = append(attrs, slog.Int("requests", total), slog.String("per", "1s"))
		s.log.LogAttrs(context.Background(), slog.LevelInfo, "requests summary", attrs...)
	}
}
