package smartcar

import (
	"net/url"
	"testing"
)

func TestParseCallback(t *testing.T) {
	tests := []struct {
		name                   string
		query                  string
		want                   Callback
		isErr, reauth, connect bool
	}{
		{"v2 code", "code=c0de&state=s1", Callback{Code: "c0de", State: "s1"}, false, false, true},
		{"v3 code and user", "code=c0de&user_id=u1&state=s1&external_id=e1",
			Callback{Code: "c0de", UserID: "u1", State: "s1", ExternalID: "e1"}, false, false, true},
		{"v3 user only", "user_id=u1&state=s1", Callback{UserID: "u1", State: "s1"}, false, false, true},
		{"reauth", "vehicle_id=sc4a1b01e5&state=s2&external_id=e1",
			Callback{VehicleID: "sc4a1b01e5", State: "s2", ExternalID: "e1"}, false, true, false},
		{"access denied", "error=access_denied&error_description=User+denied+access+to+application.&state=s3",
			Callback{Error: ConnectAccessDenied, ErrorDescription: "User denied access to application.", State: "s3"}, true, false, false},
		{"configuration error", "error=configuration_error&error_description=x&status_code=400&error_message=You+have+entered+a+test+mode+VIN",
			Callback{Error: ConnectConfigurationError, ErrorDescription: "x", StatusCode: 400, ErrorMessage: "You have entered a test mode VIN"}, true, false, false},
		{"incompatible", "error=vehicle_incompatible&vin=0SCAUDI012FE3B132&make=AUDI&model=A4&year=2019",
			Callback{Error: ConnectVehicleIncompatible, VIN: "0SCAUDI012FE3B132", Make: "AUDI", Model: "A4", Year: 2019}, true, false, false},
		{"bad numbers", "error=configuration_error&status_code=abc&year=20x9",
			Callback{Error: ConnectConfigurationError}, true, false, false},
		{"empty", "", Callback{}, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			got := ParseCallback(q)
			if got != tt.want {
				t.Errorf("ParseCallback = %+v, want %+v", got, tt.want)
			}
			if got.IsError() != tt.isErr || got.IsReauth() != tt.reauth || got.IsFullConnect() != tt.connect {
				t.Errorf("IsError=%v IsReauth=%v IsFullConnect=%v, want %v %v %v",
					got.IsError(), got.IsReauth(), got.IsFullConnect(), tt.isErr, tt.reauth, tt.connect)
			}
		})
	}
	for _, code := range []ConnectError{ConnectAccessDenied, ConnectInvalidSubscription, ConnectNoVehicles,
		ConnectVehicleIncompatible, ConnectConfigurationError, ConnectServerError} {
		if got := ParseCallback(url.Values{"error": {string(code)}}); got.Error != code || !got.IsError() {
			t.Errorf("error %s parsed as %+v", code, got)
		}
	}
}
