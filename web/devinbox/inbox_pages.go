// Package devinbox shows, in demo mode only, what the in-process SMTP
// server received, so the demo's emails can be read and their links
// followed without a real mailbox.
package devinbox

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"reconnect/internal/mail/devsmtp"
	"reconnect/views/devinbox"
	"reconnect/views/layouts"
	"reconnect/web/render"
)

// Handler holds what the inbox pages use, and nothing else.
type Handler struct {
	AppName string
	Inbox   *devsmtp.Inbox
}

// List lists what the demo's in-process SMTP server received.
func (h *Handler) List(c echo.Context) error {
	msgs := h.Inbox.Messages()
	slices.Reverse(msgs)
	v := devinbox.ListView{Page: h.layout(c, "Development inbox")}
	for _, m := range msgs {
		v.Rows = append(v.Rows, devinbox.Row{ID: m.ID, ReceivedAt: m.ReceivedAt, To: strings.Join(m.To, ", "), Subject: m.Subject})
	}
	return render.HTML(c, http.StatusOK, devinbox.List(v))
}

// Message shows one message's headers and text part.
func (h *Handler) Message(c echo.Context) error {
	m, err := h.message(c)
	if err != nil {
		return err
	}
	v := devinbox.MessageView{Page: h.layout(c, m.Subject), ID: m.ID, Subject: m.Subject, Text: m.Text, HasHTML: m.HTML != "",
		Parts: strings.Join(m.Parts, ", ")}
	v.Headers = append(v.Headers, devinbox.Header{Name: "Envelope", Value: m.From + " → " + strings.Join(m.To, ", ")})
	for _, h := range []string{"From", "To", "Reply-To", "Date", "Message-Id", "List-Unsubscribe", "List-Unsubscribe-Post"} {
		if val := m.Header.Get(h); val != "" {
			v.Headers = append(v.Headers, devinbox.Header{Name: h, Value: val})
		}
	}
	return render.HTML(c, http.StatusOK, devinbox.Message(v))
}

// HTML serves the HTML part as the mail client would show it, under
// a policy that runs no script and loads nothing, so a message cannot act
// on the app's origin.
func (h *Handler) HTML(c echo.Context) error {
	m, err := h.message(c)
	if err != nil {
		return err
	}
	hdr := c.Response().Header()
	hdr.Set("Content-Security-Policy", "sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation; default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	hdr.Set("Cache-Control", "no-store")
	return c.HTMLBlob(http.StatusOK, []byte(m.HTML))
}

// Raw serves the message source.
func (h *Handler) Raw(c echo.Context) error {
	m, err := h.message(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", m.Raw)
}

func (h *Handler) message(c echo.Context) (devsmtp.Message, error) {
	id, _ := strconv.Atoi(c.Param("id"))
	m, ok := h.Inbox.Get(id)
	if !ok {
		return m, echo.ErrNotFound
	}
	return m, nil
}

// layout is the base page, wide and without the language switcher.
func (h *Handler) layout(c echo.Context, title string) layouts.Page {
	p := render.Layout(c, h.AppName, title)
	p.Wide, p.HideSwitcher = true, true
	return p
}
