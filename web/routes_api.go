package web

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

//go:embed openapi.json
var openAPI []byte

// apiRoutes holds the host app's API for owners, vehicles, links and status.
func (s *Server) apiRoutes(api *echo.Group) {
	api.PUT("/owners/:host_user_id", s.apiOwnerPut)
	api.PUT("/owners/:host_user_id/vehicles/:vehicle_id", s.apiVehiclePut)
	api.GET("/owners/:host_user_id/status", s.apiOwnerStatus)
	api.POST("/links", s.apiLinkCreate)
}

// openAPIDoc serves the API's description; it needs no key.
func (s *Server) openAPIDoc(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/json", openAPI)
}
