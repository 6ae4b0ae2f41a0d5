package console

import (
	"bytes"
	"html"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"reconnect/internal/i18n"
	"reconnect/static"
	"reconnect/web/paths"
)

// JobsBackLink gives River UI's pages a way back to the console: River UI
// is a single-page app of its own, with no place for our navigation, so
// its HTML gets one link, first in the page (and so first in tab order),
// styled by a stylesheet of ours. Its API and its assets pass untouched.
func (con *Handler) JobsBackLink(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if (req.Method != http.MethodGet && req.Method != http.MethodHead) || strings.HasPrefix(req.URL.Path, jobsAPI) {
			return next(c)
		}
		res := c.Response()
		orig := res.Writer
		rec := &bufferedResponse{header: http.Header{}}
		res.Writer = rec
		err := next(c)
		res.Writer = orig
		for k, v := range rec.header {
			orig.Header()[k] = v
		}
		body := rec.body.Bytes()
		if strings.HasPrefix(rec.header.Get(echo.HeaderContentType), echo.MIMETextHTML) {
			body = injectBackLink(body, i18n.T(req.Context(), "console.support.jobs_back"))
			orig.Header().Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
		}
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		orig.WriteHeader(status)
		if req.Method != http.MethodHead {
			_, _ = orig.Write(body)
		}
		return err
	}
}

// injectBackLink puts the link to the console right after <body>.
func injectBackLink(page []byte, label string) []byte {
	i := bytes.Index(page, []byte("<body"))
	if i < 0 {
		return page
	}
	end := bytes.IndexByte(page[i:], '>')
	if end < 0 {
		return page
	}
	at := i + end + 1
	link := `<link rel="stylesheet" href="` + static.Path("css/jobs.css") + `">` +
		`<a class="jobs-back" href="` + paths.Console() + `" data-testid="jobs-back">` + html.EscapeString(label) + `</a>`
	out := make([]byte, 0, len(page)+len(link))
	out = append(out, page[:at]...)
	out = append(out, link...)
	return append(out, page[at:]...)
}

// bufferedResponse holds River UI's answer so its HTML can be changed
// before it is sent.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
