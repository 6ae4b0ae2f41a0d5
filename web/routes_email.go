package web

import "github.com/labstack/echo/v4"

// emailRoutes holds the pages behind the links in emails and, in demo mode,
// the inbox of the in-process SMTP server.
func (s *Server) emailRoutes(e *echo.Echo, pages *echo.Group) {
	pages.GET("/unsubscribe/:token", s.unsubscribePage)
	// Outside the CSRF group: the RFC 8058 one-click POST comes from the
	// mail provider's servers with no cookie and no CSRF token. The 256-bit
	// token in the path is the credential, and a repeat changes nothing.
	e.POST("/unsubscribe/:token", s.unsubscribeSubmit)

	if s.devInbox != nil {
		pages.GET("/dev/inbox", s.devInboxList)
		pages.GET("/dev/inbox/:id", s.devInboxMessage)
		pages.GET("/dev/inbox/:id/html", s.devInboxHTML)
		pages.GET("/dev/inbox/:id/raw", s.devInboxRaw)
	}
}
