package web

import "github.com/labstack/echo/v4"

// detectionRoutes holds the routes of detection: Smartcar's webhooks and the
// API endpoints through which the host reports errors and reads events.
func (s *Server) detectionRoutes(e *echo.Echo, api *echo.Group) {
	// Smartcar signs its deliveries; there is no session, so no CSRF.
	e.POST("/webhooks/smartcar", s.smartcarWebhook)

	api.POST("/errors", s.apiErrorReport)
	api.GET("/webhook-events/:eventId", s.apiWebhookEvent)
	api.GET("/owners/:host_user_id/events", s.apiOwnerEvents)
}
