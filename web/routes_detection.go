package web

import "github.com/labstack/echo/v4"

// detectionRoutes holds the routes of detection: Smartcar's webhooks and the
// API endpoints through which the host reports errors and reads events.
func (s *Server) detectionRoutes(e *echo.Echo, api *echo.Group) {}
