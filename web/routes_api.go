package web

import "github.com/labstack/echo/v4"

// apiRoutes holds the host app's API for owners, vehicles, links and status.
func (s *Server) apiRoutes(api *echo.Group) {}
