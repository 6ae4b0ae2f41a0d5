package smartcar

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// slowEnvelope is ParseWebhookEnvelope without the scan: encoding/json
// reads every body, as it did before the scan existed.
func slowEnvelope(body []byte) (*WebhookEvent, error) {
	if !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformedWebhook)
	}
	w, err := decodeEnvelope(body)
	if err != nil {
		return nil, err
	}
	return envelopeEvent(&w, body)
}

// sameWire compares two envelopes, their times by instant and zone name
// (a parsed offset is a new *time.Location each time).
func sameWire(a, b wireEnvelope) bool {
	ta, tb := a.Meta.DeliveredAt.Time, b.Meta.DeliveredAt.Time
	if !ta.Equal(tb) || ta.Location().String() != tb.Location().String() || ta.IsZero() != tb.IsZero() {
		return false
	}
	a.Meta.DeliveredAt, b.Meta.DeliveredAt = flexTime{}, flexTime{}
	return a == b
}

// checkEnvelopeScan fails unless ParseWebhookEnvelope answers body as the
// slow path does, and a scan that answers agrees with encoding/json.
// It returns whether the scan answered.
func checkEnvelopeScan(t *testing.T, body []byte) bool {
	t.Helper()
	fast, scanned := scanEnvelope(body)
	if scanned {
		slow, err := decodeEnvelope(body)
		if err != nil {
			t.Fatalf("scan read %q, which encoding/json refuses: %v", body, err)
		}
		if !sameWire(fast, slow) {
			t.Fatalf("scan of %q:\n%+v\nencoding/json:\n%+v", body, fast, slow)
		}
	}
	got, gotErr := ParseWebhookEnvelope(body)
	want, wantErr := slowEnvelope(body)
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("%q: error %v, slow path %v", body, gotErr, wantErr)
	}
	if gotErr != nil && !errors.Is(gotErr, ErrMalformedWebhook) {
		t.Fatalf("%q: error %v does not wrap ErrMalformedWebhook", body, gotErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\n%+v\nslow path:\n%+v", body, got, want)
	}
	return scanned
}

const okMeta = `"meta":{"version":"4.0","deliveredAt":"2025-07-31T19:38:42.332Z","webhookId":"w"}`

// envelopeCases are the kinds of body the scan must read exactly as
// encoding/json does, or leave to it; scanned says which is expected.
var envelopeCases = []struct {
	name    string
	body    string
	scanned bool
}{
	{"canonical", `{"eventId":"e","eventType":"VEHICLE_STATE","vehicleId":"v","data":{"vehicle":{"id":"v2"}},` + okMeta + `}`, true},
	{"verify", `{"eventId":"e","eventType":"VERIFY","data":{"challenge":"c"},` + okMeta + `}`, true},
	{"spaces everywhere", " \t\r\n{ \"eventId\" : \"e\" , \"eventType\" :\n\"VERIFY\", \"data\" : { \"challenge\" : \"c\" } } \n", true},
	{"empty objects", `{"eventType":"X","data":{},"meta":{},"x":{},"y":[]}`, true},
	{"unread values of every kind", `{"eventType":"X","a":[1,-2.5e+3,0,-0,1E2,0.0e-0,true,false,null,"s",{},[[]],{"k":{"k":[{}]}}],"b":"\"\\\/\b\f\n\r\t\u00e9\uD800"}`, true},
	{"read names nested elsewhere", `{"eventType":"X","other":{"eventId":"no","data":{"challenge":"no"}},"data":{"user":{"id":"no"},"vehicle":{"make":"id"}}}`, true},
	{"DEL and UTF-8 in values", "{\"eventType\":\"X\x7f\",\"eventId\":\"é€😀\"}", true},
	{"no type", `{"eventId":"e"}`, true},
	{"VERIFY without challenge", `{"eventType":"VERIFY","data":{"challenge":""}}`, true},
	{"no id, hashed", `{"eventType":"VEHICLE_STATE"}`, true},

	// Keys encoding/json matches by folding case, or that need unquoting.
	{"escaped read key", `{"event\u0049d":"e","eventType":"X"}`, false},
	{"escaped unread key", `{"us\u0065r":1,"eventType":"X"}`, false},
	{"escaped key in unread value", `{"eventType":"X","user":{"\u0069d":1}}`, true},
	{"upper-case key", `{"EVENTID":"e","eventType":"X"}`, false},
	{"lower-case key", `{"eventid":"e","eventtype":"X"}`, false},
	{"folded object key", `{"eventType":"VERIFY","Data":{"challenge":"c"}}`, false},
	{"folded nested key", `{"eventType":"VERIFY","data":{"Challenge":"c"}}`, false},
	{"folded meta key", `{"eventType":"X","meta":{"DELIVEREDAT":1754004000}}`, false},
	{"Kelvin sign folds to k", "{\"eventType\":\"X\",\"webhoo\u212aId\":\"w\"}", false},
	{"long s folds to s", "{\"eventType\":\"X\",\"ver\u017fion\":\"2.0\",\"eventName\":\"verify\",\"payload\":{\"challenge\":\"c\"}}", false},
	{"non-ASCII unread key", "{\"eventType\":\"X\",\"ünread\":1}", false},
	{"exact and folded", `{"eventId":"a","EventId":"b","eventType":"X"}`, false},

	// Repeats: the last wins, and objects merge.
	{"duplicate key", `{"eventId":"a","eventType":"X","eventId":"b"}`, false},
	{"duplicate type", `{"eventType":"VERIFY","eventType":"X"}`, false},
	{"duplicate data merges", `{"eventType":"VERIFY","data":{"challenge":"c"},"data":{"vehicle":{"id":"v"}}}`, false},
	{"duplicate vehicle merges", `{"eventType":"X","data":{"vehicle":{"id":"v"},"vehicle":{"make":"m"}}}`, false},
	{"duplicate meta", `{"eventType":"X","meta":{"version":"4.0"},"meta":{"webhookId":"w"}}`, false},
	{"duplicate deliveredAt", `{"eventType":"X","meta":{"deliveredAt":1,"deliveredAt":"2025-07-31T19:38:42Z"}}`, false},
	{"duplicate unread key", `{"eventType":"X","x":1,"x":2}`, true},

	// null leaves a field as it was; flexTime reads null as no time.
	{"null read string", `{"eventId":null,"eventType":"X"}`, false},
	{"null after value", `{"eventId":"a","eventId":null,"eventType":"X"}`, false},
	{"null data", `{"eventType":"X","data":null}`, false},
	{"null vehicle", `{"eventType":"X","data":{"vehicle":null}}`, false},
	{"null deliveredAt", `{"eventType":"X","meta":{"deliveredAt":null}}`, true},

	// Escaped values are unquoted.
	{"escaped id", `{"eventId":"a\"b\u00e9","eventType":"X"}`, false},
	{"escaped type", `{"eventType":"VERIF\u0059","data":{"challenge":"c"}}`, false},
	{"escaped challenge", `{"eventType":"VERIFY","data":{"challenge":"\n"}}`, false},
	{"lone surrogate", `{"eventType":"X","vehicleId":"\ud800"}`, false},

	// deliveredAt in every form flexTime reads.
	{"epoch ms", `{"eventType":"X","meta":{"deliveredAt":1754004000123}}`, true},
	{"epoch s", `{"eventType":"X","meta":{"deliveredAt":1754004000}}`, true},
	{"epoch fraction", `{"eventType":"X","meta":{"deliveredAt":1754004000.5}}`, true},
	{"epoch exponent", `{"eventType":"X","meta":{"deliveredAt":1.754004000123E12}}`, true},
	{"negative epoch", `{"eventType":"X","meta":{"deliveredAt":-5}}`, true},
	{"huge epoch", `{"eventType":"X","meta":{"deliveredAt":1e400}}`, true},
	{"epoch string", `{"eventType":"X","meta":{"deliveredAt":" 1754004000 "}}`, true},
	{"escaped epoch string", `{"eventType":"X","meta":{"deliveredAt":"\u0031754004000"}}`, true},
	{"offset time", `{"eventType":"X","meta":{"deliveredAt":"2025-07-31T19:38:42+02:00"}}`, true},
	{"bad time", `{"eventType":"X","meta":{"deliveredAt":"yesterday"}}`, true},
	{"bool time", `{"eventType":"X","meta":{"deliveredAt":true}}`, true},
	{"object time", `{"eventType":"X","meta":{"deliveredAt":{"t":1}}}`, true},
	{"array time", `{"eventType":"X","meta":{"deliveredAt":[1754004000]}}`, true},
	{"invalid UTF-8 time", "{\"eventType\":\"X\",\"meta\":{\"deliveredAt\":\"17540\xff04000\"}}", true},

	// Wrong JSON types for read fields are errors.
	{"number id", `{"eventId":5,"eventType":"X"}`, false},
	{"object vehicleId", `{"eventType":"X","vehicleId":{}}`, false},
	{"string data", `{"eventType":"X","data":"x"}`, false},
	{"array meta", `{"eventType":"X","meta":[]}`, false},
	{"number meta version", `{"eventType":"X","meta":{"version":4}}`, false},
	{"bool version", `{"eventType":"X","version":true}`, false},

	// Not valid JSON.
	{"control char in unread string", "{\"eventType\":\"X\",\"x\":\"a\x01b\"}", false},
	{"newline in unread string", "{\"eventType\":\"X\",\"x\":\"a\nb\"}", false},
	{"control char in unread key", "{\"eventType\":\"X\",\"a\x1f\":1}", false},
	{"bad escape in unread string", `{"eventType":"X","x":"\q"}`, false},
	{"short unicode escape", `{"eventType":"X","x":"\u12G4"}`, false},
	{"escape at end", `{"eventType":"X","x":"\`, false},
	{"trailing comma", `{"eventType":"X",}`, false},
	{"trailing comma in array", `{"eventType":"X","x":[1,]}`, false},
	{"trailing comma in unread object", `{"eventType":"X","x":{"a":1,}}`, false},
	{"missing comma", `{"eventType":"X" "x":1}`, false},
	{"missing colon", `{"eventType" "X"}`, false},
	{"trailing garbage", `{"eventType":"X"}x`, false},
	{"second object", `{"eventType":"X"}{}`, false},
	{"unclosed object", `{"eventType":"X"`, false},
	{"unclosed nested", `{"eventType":"X","x":{"a":[1}}`, false},
	{"unclosed string", `{"eventType":"X`, false},
	{"leading zero", `{"eventType":"X","x":01}`, false},
	{"bare minus", `{"eventType":"X","x":-}`, false},
	{"bare point", `{"eventType":"X","x":1.}`, false},
	{"bare exponent", `{"eventType":"X","x":1e}`, false},
	{"plus sign", `{"eventType":"X","x":+1}`, false},
	{"short literal", `{"eventType":"X","x":tru}`, false},
	{"long literal", `{"eventType":"X","x":nulll}`, false},
	{"single quotes", `{'eventType':'X'}`, false},
	{"vertical tab before", "\v{\"eventType\":\"X\"}", false},
	{"NBSP after", "{\"eventType\":\"X\"}\u00a0", false},
	{"bad deliveredAt number", `{"eventType":"X","meta":{"deliveredAt":01}}`, false},
	{"deep nesting", `{"eventType":"X","x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, false},
	{"too deep for encoding/json", `{"eventType":"X","x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`, false},
	{"not an object", `["eventType"]`, false},

	// encoding/json takes invalid UTF-8, reading it as U+FFFD.
	{"invalid UTF-8 in unread string", "{\"eventType\":\"X\",\"x\":\"a\xffb\xc3\"}", true},
	{"invalid UTF-8 in unread key", "{\"eventType\":\"X\",\"user\":{\"\xff\":1}}", true},
	{"invalid UTF-8 in read string", "{\"eventType\":\"X\",\"eventId\":\"a\xffb\"}", false},
	{"invalid UTF-8 in read key level", "{\"eventType\":\"X\",\"\xff\":1}", false},
	{"surrogate in UTF-8", "{\"eventType\":\"X\",\"eventId\":\"\xed\xa0\x80\"}", false},

	// Legacy 2.0 bodies go to ParseWebhook whole.
	{"legacy verify", `{"version":"2.0","webhookId":"w","eventName":"verify","payload":{"challenge":"c"}}`, true},
	{"legacy by name", `{"eventName":"schedule","payload":[{"vehicleId":"v"}]}`, true},
	{"legacy refused", `{"version":"2.0","eventName":"verify","payload":{"challenge":5}}`, true},
}

func TestScanEnvelopeAgreesWithEncodingJSON(t *testing.T) {
	for _, c := range envelopeCases {
		t.Run(c.name, func(t *testing.T) {
			if scanned := checkEnvelopeScan(t, []byte(c.body)); scanned != c.scanned {
				t.Errorf("scanned = %v, want %v", scanned, c.scanned)
			}
		})
	}
}

// The scan must answer for what Smartcar sends, or it buys nothing.
func TestScanEnvelopeReadsFixtures(t *testing.T) {
	for _, body := range fixtures(t, "webhook_*.json") {
		if !checkEnvelopeScan(t, body) {
			t.Errorf("scan declined %.80s", body)
		}
	}
}

// FuzzEnvelopeScan: for any body, ParseWebhookEnvelope answers exactly as
// encoding/json alone would, error or not, and the scan never reads a
// body encoding/json refuses.
func FuzzEnvelopeScan(f *testing.F) {
	for _, b := range fixtures(f, "webhook_*.json") {
		f.Add(b)
	}
	for _, c := range envelopeCases {
		if len(c.body) < 1000 {
			f.Add([]byte(c.body))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkEnvelopeScan(t, body)
	})
}
