package smartcarsim

import "net/http"

// Handler returns the simulator's one origin. The paths are Smartcar's own,
// so an SDK whose connect, auth, iam, api, vehicle-api and management origins
// all point here works unchanged.
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()

	// Connect: what the owner's browser sees.
	mux.HandleFunc("GET /oauth/authorize", s.authorizeStart)
	mux.HandleFunc("GET /oauth/reauthenticate", s.reauthStart)
	mux.HandleFunc("POST /oauth/brand", s.brandSubmit)
	mux.HandleFunc("POST /oauth/login", s.loginSubmit)
	mux.HandleFunc("POST /oauth/vehicles", s.vehiclesSubmit)
	mux.HandleFunc("POST /oauth/grant", s.grantSubmit)
	mux.HandleFunc("POST /oauth/confirm", s.confirmSubmit)
	mux.HandleFunc("POST /oauth/exit", s.exitSubmit)

	// Tokens: auth (v2, per user) and iam (v3, per application).
	mux.HandleFunc("POST /oauth/token", s.tokenV2)
	mux.HandleFunc("POST /oauth/token/{$}", s.tokenV2) // the old Go SDK adds a slash
	mux.HandleFunc("POST /oauth2/token", s.tokenV3)

	// API v2: Bearer user access token (the AMT where noted).
	mux.HandleFunc("GET /v2.0/user", s.v2User)
	mux.HandleFunc("GET /v2.0/vehicles", s.v2Vehicles)
	mux.HandleFunc("GET /v2.0/vehicles/{id}", s.v2Attributes)
	mux.HandleFunc("GET /v2.0/vehicles/{id}/vin", s.v2VIN)
	mux.HandleFunc("GET /v2.0/vehicles/{id}/odometer", s.v2Odometer)
	mux.HandleFunc("GET /v2.0/vehicles/{id}/permissions", s.v2Permissions)
	mux.HandleFunc("DELETE /v2.0/vehicles/{id}/application", s.v2Disconnect)
	mux.HandleFunc("POST /v2.0/vehicles/{id}/webhooks/{webhookId}", s.v2Subscribe)
	mux.HandleFunc("DELETE /v2.0/vehicles/{id}/webhooks/{webhookId}", s.v2Unsubscribe)

	// Management v2: Basic default:AMT.
	mux.HandleFunc("GET /v2.0/management/connections", s.managementList)
	mux.HandleFunc("DELETE /v2.0/management/connections", s.managementDelete)
	mux.HandleFunc("/v2.0/", s.v2NotFound)

	// API v3: Bearer application token, sc-user-id picks the owner.
	mux.HandleFunc("GET /v3/connections", s.v3Connections)
	mux.HandleFunc("GET /v3/connections/{id}", s.v3Connection)
	mux.HandleFunc("DELETE /v3/connections/{id}", s.v3DeleteConnection)
	mux.HandleFunc("DELETE /v3/users/{id}", s.v3DeleteUser)
	mux.HandleFunc("GET /v3/vehicles/{id}", s.v3Vehicle)
	mux.HandleFunc("GET /v3/vehicles/{id}/signals", s.v3Signals)
	mux.HandleFunc("GET /v3/vehicles/{id}/signals/{code}", s.v3Signal)
	mux.HandleFunc("/v3/", s.v3NotFound)

	// Control: the simulator's own dashboard, unauthenticated by design.
	mux.HandleFunc("POST /_control/users", s.controlCreateUser)
	mux.HandleFunc("GET /_control/users", s.controlListUsers)
	mux.HandleFunc("POST /_control/users/{id}/tokens", s.controlIssueTokens)
	mux.HandleFunc("GET /_control/vehicles", s.controlListVehicles)
	mux.HandleFunc("PUT /_control/vehicles/{id}/failure", s.controlSetFailure)
	mux.HandleFunc("DELETE /_control/vehicles/{id}/failure", s.controlClearFailure)
	mux.HandleFunc("POST /_control/vehicles/{id}/state", s.controlSendState)
	mux.HandleFunc("POST /_control/vehicles/{id}/noise", s.controlSendNoise)
	mux.HandleFunc("POST /_control/migrations", s.controlMigrate)
	mux.HandleFunc("GET /_control/webhook", s.controlGetWebhook)
	mux.HandleFunc("PUT /_control/webhook", s.controlSetWebhook)
	mux.HandleFunc("POST /_control/webhook/verify", s.controlVerifyWebhook)
	mux.HandleFunc("GET /_control/deliveries", s.controlDeliveries)
	mux.HandleFunc("GET /_control/switches", s.controlGetSwitches)
	mux.HandleFunc("PUT /_control/switches", s.controlSetSwitches)
	mux.HandleFunc("POST /_control/clock", s.controlClock)

	return withRequestID(mux)
}
