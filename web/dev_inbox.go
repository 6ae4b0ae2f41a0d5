package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"reconnect/internal/mail/devsmtp"
	"reconnect/views/devinbox"
	"reconnect/views/layouts"
)

// devInboxList lists what the demo's in-process SMTP server received.
func (s *Server) devInboxList(c echo.Context) error {
	msgs := s.devInbox.Messages()
	slices.Reverse(msgs)
	v := devinbox.ListView{Page: s.devPage(c, "Development inbox")}
	for _, m := range msgs {
		v.Rows = append(v.Rows, devinbox.Row{ID: m.ID, ReceivedAt: m.ReceivedAt, To: strings.Join(m.To, ", "), Subject: m.Subject})
	}
	return render(c, http.StatusOK, devinbox.List(v))
}

// devInboxMessage shows one message's headers and text part.
func (s *Server) devInboxMessage(c echo.Context) error {
	m, err := s.devMessage(c)
	if err != nil {
		return err
	}
	v := devinbox.MessageView{Page: s.devPage(c, m.Subject), ID: m.ID, Subject: m.Subject, Text: m.Text, HasHTML: m.HTML != "",
		Parts: strings.Join(m.Parts, ", ")}
	v.Headers = append(v.Headers, devinbox.Header{Name: "Envelope", Value: m.From + " → " + strings.Join(m.To, ", ")})
	for _, h := range []string{"From", "To", "Reply-To", "Date", "Message-Id", "List-Unsubscribe", "List-Unsubscribe-Post"} {
		if val := m.Header.Get(h); val != "" {
			v.Headers = append(v.Headers, devinbox.Header{Name: h, Value: val})
		}
	}
	return render(c, http.StatusOK, devinbox.Message(v))
}

// devInboxHTML serves the HTML part as the mail client would show it, under
// a policy that runs no script and loads nothing, so a message cannot act
// on the app's origin.
func (s *Server) devInboxHTML(c echo.Context) error {
	m, err := s.devMessage(c)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation; default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	h.Set("Cache-Control", "no-store")
	return c.HTMLBlob(http.StatusOK, []byte(m.HTML))
}

// devInboxRaw serves the message source.
func (s *Server) devInboxRaw(c echo.Context) error {
	m, err := s.devMessage(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", m.Raw)
}

func (s *Server) devMessage(c echo.Context) (devsmtp.Message, error) {
	id, _ := strconv.Atoi(c.Param("id"))
	m, ok := s.devInbox.Get(id)
	if !ok {
		return m, echo.ErrNotFound
	}
	return m, nil
}

func (s *Server) devPage(c echo.Context, title string) layouts.Page {
	p := s.page(c, title)
	p.Wide, p.HideSwitcher = true, true
	return p
}
