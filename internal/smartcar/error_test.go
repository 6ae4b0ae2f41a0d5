package smartcar

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDecodeError(t *testing.T) {
	tests := []struct {
		file   string
		status int
		header http.Header
		check  func(t *testing.T, e *Error)
	}{
		{"error_v2_authentication_failed.json", 400, nil, func(t *testing.T, e *Error) {
			want := Resolution{Type: "REAUTHENTICATE", URL: "https://connect.smartcar.com/oauth/reauthenticate?response_type=vehicle_id&client_id=8229df9f-91a0-4ff0-a1ae-a1f38ee24d07&vehicle_id=sc4a1b01e5-0497-417c-a30e-6df6ba33ba46"}
			if e.Reason() != "CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED" || e.Resolution != want ||
				e.RequestID != "5dea93a1-3f79-4246-90ba-8c3a8ac2a4c1" || !strings.HasSuffix(e.DocURL, "#authentication-failed") ||
				!strings.HasPrefix(e.SuggestedUserMessage, "Your car got disconnected") {
				t.Errorf("%+v", e)
			}
		}},
		{"error_v2_resolution_string.json", 403, nil, func(t *testing.T, e *Error) {
			if e.Type != "PERMISSION" || e.Code != "" || e.Resolution != (Resolution{Type: "REAUTHENTICATE"}) {
				t.Errorf("%+v", e)
			}
		}},
		{"error_v2_resolution_null.json", 400, nil, func(t *testing.T, e *Error) {
			if e.Reason() != "CONNECTED_SERVICES_ACCOUNT:NO_VEHICLES" || e.Resolution != (Resolution{}) {
				t.Errorf("%+v", e)
			}
		}},
		{"error_v2_vehicle_state_asleep.json", 409, nil, func(t *testing.T, e *Error) {
			if e.Reason() != "VEHICLE_STATE:ASLEEP" || e.Resolution.Type != "RETRY_LATER" {
				t.Errorf("%+v", e)
			}
		}},
		{"error_v2_rate_limit.json", 429, http.Header{"Retry-After": {"30"}, "Sc-Request-Id": {"hdr"}}, func(t *testing.T, e *Error) {
			if e.Reason() != "RATE_LIMIT:VEHICLE" || e.RetryAfter != 30*time.Second || e.RequestID != "e4d3c2b1-a0f9-4e8d-b7c6-5a4b3c2d1e0f" {
				t.Errorf("%+v", e)
			}
		}},
		{"error_v2_validation.json", 400, nil, func(t *testing.T, e *Error) {
			if e.Type != "VALIDATION" || len(e.Detail) != 1 || e.Detail[0].Field[0] != "limit" || e.Resolution.Type != "" {
				t.Errorf("%+v", e)
			}
		}},
		{"error_v2_virtual_key.json", 400, nil, func(t *testing.T, e *Error) {
			if e.Resolution != (Resolution{Type: "ACTION_REQUIRED", URL: "https://tesla.com/_ak/smartcar.com"}) {
				t.Errorf("%+v", e)
			}
		}},
		{"error_v3_errors.json", 502, http.Header{"Sc-Request-Id": {"hdr"}}, func(t *testing.T, e *Error) {
			if e.Reason() != "UPSTREAM:NO_RESPONSE" || e.Description != "The OEM did not respond to the request in time." ||
				e.RequestID != "26c14915-0c26-43c5-8e42-9edfc2a66a0f" || !strings.HasSuffix(e.DocURL, "#no-response") ||
				e.Resolution.Type != "RETRY_LATER" || len(e.Errors) != 2 || e.Errors[1].Code != "UNKNOWN_ISSUE" {
				t.Errorf("%+v", e)
			}
		}},
		{"error_oauth_invalid_grant.json", 400, http.Header{"Sc-Request-Id": {"hdr"}}, func(t *testing.T, e *Error) {
			if e.Type != "invalid_grant" || e.Description != "Invalid or expired refresh token." || e.RequestID != "hdr" {
				t.Errorf("%+v", e)
			}
		}},
		{"error_v1_legacy.json", 409, nil, func(t *testing.T, e *Error) {
			if e.Type != "vehicle_state_error" || e.Code != "VS_000" || e.Description != "Vehicle state cannot be determined." {
				t.Errorf("%+v", e)
			}
		}},
		{"error_not_json.txt", 502, nil, func(t *testing.T, e *Error) {
			if e.Type != TypeUnknown || !strings.HasPrefix(e.Description, "<html>") || strings.HasSuffix(e.Description, "\n") {
				t.Errorf("%+v", e)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body := fixture(t, tt.file)
			e := DecodeError(tt.status, tt.header, body)
			if e.HTTPStatus != tt.status || string(e.Body) != string(body) {
				t.Errorf("status %d, body kept %v", e.HTTPStatus, string(e.Body) == string(body))
			}
			if !strings.HasPrefix(e.Error(), "smartcar: ") {
				t.Errorf("Error() = %q", e.Error())
			}
			tt.check(t, e)
		})
	}
}

func TestDecodeErrorOddBodies(t *testing.T) {
	tests := []struct {
		name, body, wantType, wantDesc string
	}{
		{"empty", "", TypeUnknown, "Bad Gateway"},
		{"json array", `[1,2]`, TypeUnknown, "[1,2]"},
		{"unknown object", `{"message":"upstream hiccup"}`, TypeUnknown, "upstream hiccup"},
		{"type of the wrong kind", `{"type":42,"code":{"x":1}}`, "42", ""},
		{"v3 empty errors", `{"errors":[]}`, TypeUnknown, `{"errors":[]}`},
		{"v1 authentication", `{"error":"authentication_error","message":"Invalid authorization header"}`, "authentication_error", "Invalid authorization header"},
		{"huge html", "<p>" + strings.Repeat("x", 5000), TypeUnknown, "<p>" + strings.Repeat("x", maxDescription-3)},
		// Each lone bad byte becomes a three-byte U+FFFD: the cap holds after that, on a rune boundary.
		{"bad bytes spread out", strings.Repeat("a\xff", 400), TypeUnknown, strings.Repeat("a\uFFFD", maxDescription/4)},
		{"cut inside a rune", strings.Repeat("x", maxDescription-1) + "é", TypeUnknown, strings.Repeat("x", maxDescription-1)},
		{"bad bytes in a message", `{"message":"` + strings.Repeat("\xfe", 600) + `"}`, TypeUnknown, strings.Repeat("\uFFFD", maxDescription/3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := DecodeError(502, nil, []byte(tt.body))
			if e.Type != tt.wantType || e.Description != tt.wantDesc {
				t.Errorf("got %q %q, want %q %q", e.Type, e.Description, tt.wantType, tt.wantDesc)
			}
		})
	}
	if got := retryAfter(time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)); got < 80*time.Second || got > 90*time.Second {
		t.Errorf("HTTP-date Retry-After = %v", got)
	}
}

func TestErrorFromBody(t *testing.T) {
	tests := []struct {
		file       string
		wantStatus int
		wantErr    bool
	}{
		{"error_v2_authentication_failed.json", 400, false},
		{"error_v3_errors.json", 502, false},
		{"error_oauth_invalid_grant.json", 0, false},
		{"error_not_json.txt", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			e, err := ErrorFromBody(fixture(t, tt.file))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err == nil && e.HTTPStatus != tt.wantStatus {
				t.Errorf("status = %d, want %d", e.HTTPStatus, tt.wantStatus)
			}
		})
	}
}
