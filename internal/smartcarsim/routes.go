package smartcarsim

import (
	"net/http"
	"strings"
)

// route is one registered pattern and its handler.
type route struct {
	pattern string
	handler http.HandlerFunc
}

// routes lists every path the simulator serves, in ServeMux pattern syntax.
// The paths are Smartcar's own, so an SDK whose connect, auth, iam, api,
// vehicle-api and management origins all point here works unchanged.
func (s *Sim) routes() []route {
	return []route{
		// Connect: what the owner's browser sees.
		{"GET /oauth/authorize", s.authorizeStart},
		{"GET /oauth/reauthenticate", s.reauthStart},
		{"POST /oauth/brand", s.brandSubmit},
		{"POST /oauth/login", s.loginSubmit},
		{"POST /oauth/vehicles", s.vehiclesSubmit},
		{"POST /oauth/grant", s.grantSubmit},
		{"POST /oauth/confirm", s.confirmSubmit},
		{"POST /oauth/exit", s.exitSubmit},

		// Tokens: auth (v2, per user) and iam (v3, per application).
		{"POST /oauth/token", s.tokenV2},
		{"POST /oauth2/token", s.tokenV3},

		// API v2: Bearer user access token (the AMT where noted).
		{"GET /v2.0/user", s.v2User},
		{"GET /v2.0/vehicles", s.v2Vehicles},
		{"GET /v2.0/vehicles/{id}", s.v2ReadRoute("/")},
		{"GET /v2.0/vehicles/{id}/vin", s.v2ReadRoute("/vin")},
		{"GET /v2.0/vehicles/{id}/odometer", s.v2ReadRoute("/odometer")},
		{"GET /v2.0/vehicles/{id}/permissions", s.v2ReadRoute("/permissions")},
		{"POST /v2.0/vehicles/{id}/batch", s.v2Batch},
		{"DELETE /v2.0/vehicles/{id}/application", s.v2Disconnect},
		{"POST /v2.0/vehicles/{id}/webhooks/{webhookId}", s.v2Subscribe},
		{"DELETE /v2.0/vehicles/{id}/webhooks/{webhookId}", s.v2Unsubscribe},

		// Management v2: Basic default:AMT.
		{"GET /v2.0/management/connections", s.managementList},
		{"DELETE /v2.0/management/connections", s.managementDelete},
		// Unknown paths answer in the API's own error shape. "/v2.0" is
		// registered too, or ServeMux would redirect it to "/v2.0/".
		{"/v2.0/", s.v2NotFound},
		{"/v2.0", s.v2NotFound},

		// API v3: Bearer application token, sc-user-id picks the owner.
		{"GET /v3/connections", s.v3Connections},
		{"GET /v3/connections/{id}", s.v3Connection},
		{"DELETE /v3/connections/{id}", s.v3DeleteConnection},
		{"DELETE /v3/users/{id}", s.v3DeleteUser},
		{"GET /v3/vehicles/{id}", s.v3Vehicle},
		{"GET /v3/vehicles/{id}/signals", s.v3Signals},
		{"GET /v3/vehicles/{id}/signals/{code}", s.v3Signal},
		{"/v3/", s.v3NotFound},
		{"/v3", s.v3NotFound},

		// Control: the simulator's own dashboard, unauthenticated by design.
		{"POST /_control/users", s.controlCreateUser},
		{"GET /_control/users", s.controlListUsers},
		{"POST /_control/users/{id}/tokens", s.controlIssueTokens},
		{"GET /_control/vehicles", s.controlListVehicles},
		{"PUT /_control/vehicles/{id}/failure", s.controlSetFailure},
		{"DELETE /_control/vehicles/{id}/failure", s.controlClearFailure},
		{"POST /_control/vehicles/{id}/state", s.controlSendState},
		{"POST /_control/vehicles/{id}/noise", s.controlSendNoise},
		{"POST /_control/vehicles/{id}/sell", s.controlSellVehicle},
		{"POST /_control/migrations", s.controlMigrate},
		{"GET /_control/webhook", s.controlGetWebhook},
		{"PUT /_control/webhook", s.controlSetWebhook},
		{"POST /_control/webhook/verify", s.controlVerifyWebhook},
		{"GET /_control/deliveries", s.controlDeliveries},
		{"GET /_control/switches", s.controlGetSwitches},
		{"PUT /_control/switches", s.controlSetSwitches},
		{"POST /_control/clock", s.controlClock},
	}
}

// Handler returns the simulator's one origin.
func (s *Sim) Handler() http.Handler { return s.handler(nil) }

// handler builds the router; wrap, when set, replaces each route's handler
// (the route test uses it to see which pattern a request reached).
func (s *Sim) handler(wrap func(route) http.Handler) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		var h http.Handler = rt.handler
		if wrap != nil {
			h = wrap(rt)
		}
		mux.Handle(rt.pattern, h)
	}
	return withRequestID(withoutTrailingSlash(s.migrationsFirst(mux)))
}

// migrationsFirst runs any scheduled migration whose cut-over the clock has
// reached before answering, so that no request sees a vehicle working
// after its cut-over.
func (s *Sim) migrationsFirst(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.runDueMigrations()
		next.ServeHTTP(w, r)
	})
}

// withoutTrailingSlash drops one trailing slash before routing. Smartcar
// answers /v2.0/user/ like /v2.0/user, and the official SDKs call several
// paths with the slash (the Node SDK's getUser, getVehicles and vehicle
// attributes; the Python and Java SDKs' attributes), so every route accepts
// both spellings here instead of each pattern being registered twice.
func withoutTrailingSlash(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
			r2 := new(http.Request)
			*r2 = *r
			u := *r.URL
			u.Path = p[:len(p)-1]
			if u.RawPath != "" {
				u.RawPath = strings.TrimSuffix(u.RawPath, "/")
			}
			r2.URL = &u
			r = r2
		}
		next.ServeHTTP(w, r)
	})
}
