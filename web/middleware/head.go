package middleware

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"reconnect/internal/probe"
)

// HeadAsGet answers HEAD on every GET route, in one place, before routing:
// the request runs as the GET it asks about, so status and headers are the
// GET's by construction, and the body is counted but never sent. The
// request is marked a probe (internal/probe), so whatever a GET records,
// counts or consumes is left alone. Registered with Echo's Pre, it covers
// routes added later without anyone remembering HEAD.
func HeadAsGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.Method != http.MethodHead {
			return next(c)
		}
		// Echo routes by the method of the request it was handed, so that
		// one is changed in place; it is HEAD again before the server
		// writes the answer, so net/http too knows to send no body.
		req.Method = http.MethodGet
		defer func() { req.Method = http.MethodHead }()
		c.SetRequest(req.WithContext(probe.With(req.Context())))
		res := c.Response()
		hw := &headWriter{w: res.Writer}
		res.Writer = hw
		err := next(c)
		if err != nil {
			// The error page is part of the answer; render it now, while
			// the body is still being counted.
			c.Error(err)
		}
		res.Writer = hw.w
		hw.finish()
		return nil
	}
}

// IsHead reports whether the request came as HEAD (HeadAsGet runs it as GET).
func IsHead(c echo.Context) bool { return probe.Is(c.Request().Context()) }

// headWriter holds the status back until the handler is done, counts the
// body instead of sending it, and then sends the headers with the length
// the GET's body has.
type headWriter struct {
	w      http.ResponseWriter
	status int
	n      int64
}

func (h *headWriter) Header() http.Header { return h.w.Header() }

func (h *headWriter) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}

func (h *headWriter) Write(p []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	h.n += int64(len(p))
	return len(p), nil
}

// Flush is a no-op: nothing is sent until the handler is done.
func (h *headWriter) Flush() {}

func (h *headWriter) finish() {
	if h.status == 0 {
		return
	}
	hdr := h.w.Header()
	if hdr.Get("Content-Length") == "" && hdr.Get("Transfer-Encoding") == "" && bodyAllowed(h.status) {
		hdr.Set("Content-Length", strconv.FormatInt(h.n, 10))
	}
	h.w.WriteHeader(h.status)
}

func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}
