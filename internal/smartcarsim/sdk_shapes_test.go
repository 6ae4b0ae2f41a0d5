package smartcarsim

// A conformance test that talks to the simulator only in the HTTP shapes the
// official Smartcar SDKs send: the method, the path as they join it (trailing
// slash included), their headers and their bodies. The shapes were read in
// the SDKs' source (see docs/simulator.md, "What the official SDKs send"):
//
//	node   smartcar/node-sdk   60fa154 (v10.4.0)  lib/smartcar-service.js, lib/vehicle.js, lib/auth-client.js, index.js, lib/util.js
//	python smartcar/python-sdk a4dfeff (v6.17.0)  smartcar/smartcar.py, vehicle.py, auth_client.py, helpers.py
//	java   smartcar/java-sdk   b28fb06 (4.8.1)    Vehicle.java, ApiClient.java, AuthClient.java
//
// Reconnect's own Smartcar client is deliberately not used here.

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// User-Agents in the SDKs' formats (util.USER_AGENT, helpers.requester,
// ApiClient.USER_AGENT), with plausible runtime values.
const (
	nodeUA   = "Smartcar/10.4.0 (linux; x64) Node.js v22.11.0"
	pythonUA = "Smartcar/6.17.0(Linux; x86_64) Python v3.12.3"
	javaUA   = "Smartcar/4.8.1 (Linux; amd64) Java v21.0.5 OpenJDK 64-Bit Server VM"
)

// sdkRequest is one request exactly as an SDK puts it on the wire.
type sdkRequest struct {
	method string
	path   string // path and query as sent
	header map[string]string
	body   string
}

// nodeAPI is a call through node's SmartcarService: JSON content type and
// the SDK's User-Agent on every request, even a GET; vehicle calls add
// sc-unit-system.
func nodeAPI(method, path, token, unit, body string) sdkRequest {
	h := map[string]string{"User-Agent": nodeUA, "Content-Type": "application/json", "Authorization": "Bearer " + token}
	if unit != "" {
		h["sc-unit-system"] = unit
	}
	return sdkRequest{method, path, h, body}
}

// pythonAPI is a call through helpers.requester: no Content-Type without a
// body; requests' json= sets it.
func pythonAPI(method, path, token, unit, body string) sdkRequest {
	h := map[string]string{"User-Agent": pythonUA, "Authorization": "Bearer " + token}
	if unit != "" {
		h["sc-unit-system"] = unit
	}
	if body != "" {
		h["Content-Type"] = "application/json"
	}
	return sdkRequest{method, path, h, body}
}

// javaAPI is Vehicle.call through ApiClient.buildRequest (OkHttp).
func javaAPI(method, path, token, body string) sdkRequest {
	h := map[string]string{"User-Agent": javaUA, "Authorization": "Bearer " + token, "sc-unit-system": "metric"}
	if body != "" {
		h["Content-Type"] = "application/json; charset=utf-8"
	}
	return sdkRequest{method, path, h, body}
}

// tokenCall is the v2 token endpoint as the SDKs call it: Basic over the raw
// id and secret (node's Buffer.from(id:secret), requests' auth=(id, secret),
// OkHttp's Credentials.basic), a form body in the SDK's field order.
func tokenCall(ua, body string) sdkRequest {
	basic := base64.StdEncoding.EncodeToString([]byte(testClientID + ":" + testClientSecret))
	return sdkRequest{"POST", "/oauth/token", map[string]string{
		"User-Agent": ua, "Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic " + basic,
	}, body}
}

func (h *harness) send(req sdkRequest) apiResp {
	h.t.Helper()
	var body io.Reader
	if req.body != "" {
		body = strings.NewReader(req.body)
	}
	return h.do(req.method, req.path, body, func(r *http.Request) {
		for k, v := range req.header {
			r.Header[k] = []string{v} // as written: sc-unit-system stays lower case
		}
	})
}

// wantV2Error checks the fields of a v2 error body, which SmartcarError
// (node) and SmartcarException (java) read; suggestedUserMessage is optional.
func wantV2Error(t *testing.T, obj map[string]any) {
	t.Helper()
	keys := []string{"code", "description", "docURL", "requestId", "resolution", "statusCode", "type"}
	if _, ok := obj["suggestedUserMessage"]; ok {
		keys = append(keys, "suggestedUserMessage")
	}
	wantKeys(t, obj, keys...)
}

func TestOfficialSDKRequestShapes(t *testing.T) {
	h := newHarness(t)
	// The owner's garage, set up on the simulator's dashboard.
	seeded := h.control("POST", "/_control/users", map[string]any{"email": "sdk-owner@example.com",
		"vehicles": []map[string]any{{"make": "TESLA", "model": "Model 3", "year": 2021}, {"make": "TESLA", "model": "Model Y", "year": 2023}}})
	if seeded.status != http.StatusCreated {
		t.Fatalf("seed: %d %s", seeded.status, seeded.raw)
	}
	healthy, broken := dig(seeded.json, "vehicles", 0, "id").(string), dig(seeded.json, "vehicles", 1, "id").(string)

	// node's getAuthUrl: querystring.stringify (spaces as %20), mode always set.
	authorize := h.base + "/oauth/authorize?response_type=code&client_id=" + testClientID +
		"&approval_prompt=auto&redirect_uri=" + url.QueryEscape(testRedirect) +
		"&scope=read_vehicle_info%20read_odometer&state=sdk-state&make=TESLA&mode=live"
	browser := h.browser()
	cb := h.walk(browser, h.open(browser, authorize), "sdk-owner@example.com").callback(t)
	if cb.Get("state") != "sdk-state" || cb.Get("code") == "" {
		t.Fatalf("callback %v", cb)
	}

	// AuthClient.exchangeCode (node: code, grant_type, redirect_uri).
	exchange := h.send(tokenCall(nodeUA, "code="+url.QueryEscape(cb.Get("code"))+
		"&grant_type=authorization_code&redirect_uri="+url.QueryEscape(testRedirect)))
	if exchange.status != http.StatusOK || exchange.json["token_type"] != "Bearer" || exchange.json["expires_in"] != float64(7200) ||
		exchange.json["access_token"] == nil || exchange.json["refresh_token"] == nil {
		t.Fatalf("code exchange: %d %s", exchange.status, exchange.raw)
	}
	access, refresh := exchange.json["access_token"].(string), exchange.json["refresh_token"].(string)
	if r := h.control("PUT", "/_control/vehicles/"+broken+"/failure", map[string]string{"type": "CONNECTED_SERVICES_ACCOUNT", "code": "AUTHENTICATION_FAILED"}); r.status != http.StatusOK {
		t.Fatalf("break: %d %s", r.status, r.raw)
	}

	batchBody := `{"requests":[{"path":"/"},{"path":"/odometer"},{"path":"/vin"}]}`
	steps := []struct {
		name   string
		req    sdkRequest
		status int
		check  func(t *testing.T, r apiResp)
	}{
		{"node getUser", nodeAPI("GET", "/v2.0/user/", access, "", ""), 200, func(t *testing.T, r apiResp) {
			wantKeys(t, r.json, "id")
			if r.json["id"] != cb.Get("user_id") {
				t.Errorf("user id %v, callback said %s", r.json["id"], cb.Get("user_id"))
			}
		}},
		{"python get_user", pythonAPI("GET", "/v2.0/user", access, "", ""), 200, nil},
		{"node getVehicles", nodeAPI("GET", "/v2.0/vehicles/?limit=10&offset=0", access, "", ""), 200, func(t *testing.T, r apiResp) {
			wantKeys(t, r.json, "paging", "vehicles")
			if ids := toStrings(r.json["vehicles"]); !slices.Contains(ids, healthy) || !slices.Contains(ids, broken) || dig(r.json, "paging", "count") != float64(2) {
				t.Errorf("vehicles %s", r.raw)
			}
		}},
		{"python get_vehicles", pythonAPI("GET", "/v2.0/vehicles", access, "", ""), 200, nil},
		{"node attributes", nodeAPI("GET", "/v2.0/vehicles/"+healthy+"/", access, "metric", ""), 200, func(t *testing.T, r apiResp) {
			wantKeys(t, r.json, "id", "make", "model", "year")
			wantMeta(t, r, "metric")
		}},
		{"python attributes", pythonAPI("GET", "/v2.0/vehicles/"+healthy+"/", access, "metric", ""), 200, nil},
		{"java attributes", javaAPI("GET", "/v2.0/vehicles/"+healthy+"/", access, ""), 200, nil},
		{"node odometer in miles", nodeAPI("GET", "/v2.0/vehicles/"+healthy+"/odometer", access, "imperial", ""), 200, func(t *testing.T, r apiResp) {
			wantKeys(t, r.json, "distance")
			wantMeta(t, r, "imperial")
		}},
		{"node permissions", nodeAPI("GET", "/v2.0/vehicles/"+healthy+"/permissions", access, "metric", ""), 200, func(t *testing.T, r apiResp) {
			wantKeys(t, r.json, "paging", "permissions")
			if !slices.Equal(toStrings(r.json["permissions"]), []string{"read_vehicle_info", "read_odometer"}) {
				t.Errorf("permissions %s", r.raw)
			}
		}},
		{"node batch, mixed", nodeAPI("POST", "/v2.0/vehicles/"+healthy+"/batch", access, "metric", batchBody), 200, func(t *testing.T, r apiResp) {
			wantBatch(t, r, map[string]int{"/": 200, "/odometer": 200, "/vin": 403})
		}},
		{"python batch, mixed", pythonAPI("POST", "/v2.0/vehicles/"+healthy+"/batch", access, "metric", batchBody), 200, func(t *testing.T, r apiResp) {
			wantBatch(t, r, map[string]int{"/": 200, "/odometer": 200, "/vin": 403})
		}},
		{"java batch, a car needing re-authentication", javaAPI("POST", "/v2.0/vehicles/"+broken+"/batch", access, batchBody), 200, func(t *testing.T, r apiResp) {
			wantBatch(t, r, map[string]int{"/": 400, "/odometer": 400, "/vin": 400})
		}},
		{"node odometer, a car needing re-authentication", nodeAPI("GET", "/v2.0/vehicles/"+broken+"/odometer", access, "metric", ""), 400, func(t *testing.T, r apiResp) {
			wantV2Error(t, r.json)
			// node's handleError only builds a SmartcarError from a JSON content type.
			if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
			}
			if r.json["type"] != csa || r.json["code"] != "AUTHENTICATION_FAILED" || r.json["statusCode"] != float64(400) ||
				r.json["requestId"] != r.header.Get("SC-Request-Id") || dig(r.json, "resolution", "type") != "REAUTHENTICATE" ||
				r.json["suggestedUserMessage"] == nil {
				t.Errorf("error body %s", r.raw)
			}
			reauth, err := url.Parse(dig(r.json, "resolution", "url").(string))
			if err != nil || reauth.Path != "/oauth/reauthenticate" || reauth.Query().Get("vehicle_id") != broken ||
				reauth.Query().Get("client_id") != testClientID || reauth.Query().Has("redirect_uri") {
				t.Errorf("resolution.url %v", dig(r.json, "resolution", "url"))
			}
		}},
		{"node disconnect", nodeAPI("DELETE", "/v2.0/vehicles/"+healthy+"/application", access, "metric", ""), 200, func(t *testing.T, r apiResp) {
			if !maps.Equal(map[string]any{"status": "success"}, r.json) {
				t.Errorf("disconnect %s", r.raw)
			}
		}},
		{"node attributes after disconnect", nodeAPI("GET", "/v2.0/vehicles/"+healthy+"/", access, "metric", ""), 404, func(t *testing.T, r apiResp) {
			wantV2Error(t, r.json)
		}},
		// AuthClient.exchangeRefreshToken (python: grant_type, refresh_token).
		{"python refresh", tokenCall(pythonUA, "grant_type=refresh_token&refresh_token="+url.QueryEscape(refresh)), 200, func(t *testing.T, r apiResp) {
			wantKeys(t, r.json, "access_token", "expires_in", "refresh_token", "token_type")
			if r.json["refresh_token"] == refresh || r.json["access_token"] == access {
				t.Errorf("refresh must return a new pair: %s", r.raw)
			}
		}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			r := h.send(st.req)
			if r.status != st.status {
				t.Fatalf("%s %s: %d, want %d: %s", st.req.method, st.req.path, r.status, st.status, r.raw)
			}
			if r.header.Get("SC-Request-Id") == "" {
				t.Error("no SC-Request-Id")
			}
			if st.check != nil {
				st.check(t, r)
			}
		})
	}
}

// wantKeys checks a JSON object has exactly these keys.
func wantKeys(t *testing.T, obj map[string]any, keys ...string) {
	t.Helper()
	got := slices.Sorted(maps.Keys(obj))
	want := slices.Sorted(slices.Values(keys))
	if !slices.Equal(got, want) {
		t.Errorf("keys %v, want %v", got, want)
	}
}

// wantMeta checks the headers node's buildMeta turns into meta.
func wantMeta(t *testing.T, r apiResp, unit string) {
	t.Helper()
	if r.header.Get("sc-unit-system") != unit || r.header.Get("sc-data-age") == "" || r.header.Get("sc-fetched-at") == "" {
		t.Errorf("meta headers %v", r.header)
	}
}

// wantBatch parses the answer the way the SDKs do (buildBatchResponse,
// _batch_path_response, BatchResponse): responses[] of path, code, body
// (an object, always) and headers (an object, always: python indexes it on
// success, node on every item), keyed by path.
func wantBatch(t *testing.T, r apiResp, want map[string]int) {
	t.Helper()
	var parsed struct {
		Responses []struct {
			Path    string            `json:"path"`
			Code    int               `json:"code"`
			Body    map[string]any    `json:"body"`
			Headers map[string]string `json:"headers"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(r.raw, &parsed); err != nil {
		t.Fatalf("batch answer: %v: %s", err, r.raw)
	}
	got := map[string]int{}
	for _, item := range parsed.Responses {
		got[item.Path] = item.Code
		if item.Body == nil || item.Headers == nil {
			t.Errorf("%s: body %v, headers %v", item.Path, item.Body, item.Headers)
		}
		if item.Code != 200 {
			wantV2Error(t, item.Body)
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("item codes %v, want %v", got, want)
	}
}
