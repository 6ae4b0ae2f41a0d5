package smartcar

import (
	"strings"
	"unicode/utf8"
)

// The receiver reads every delivery's envelope, and json.Unmarshal read it
// at about 10 µs a body: it checks the whole body, then walks it again
// through reflection, skipping the unread fields by scanning them once
// more. envelopeScanner does both in one pass over the bytes and builds
// the envelope's strings with one allocation. It answers only where it is
// sure to agree with encoding/json and leaves every other body to
// decodeEnvelope; FuzzEnvelopeScan holds it to that.

// The envelope's fields, numbered for the scanner: the strings first, in
// the order they are laid out in one allocation, then deliveredAt (any
// JSON value, as flexTime takes) and the objects that hold fields.
const (
	envEventID = iota
	envEventType
	envVehicleID
	envVersion
	envWebhookID
	envEventName
	envChallenge
	envVehicleRef // data.vehicle.id
	envMetaVersion
	envMetaWebhookID
	envDeliveredAt
	envData
	envMeta
	envVehicle

	envStrings = envDeliveredAt // how many fields are strings
	envUnread  = -1             // a key the envelope does not read
	envUnsure  = -2             // a key encoding/json may match to a field by folding case
	maxScanDep = 64             // far deeper than any webhook; encoding/json allows 10000
)

type envKey struct {
	name  string
	field int
}

// The keys read at each level, as wireEnvelope's tags spell them.
var (
	topKeys = []envKey{
		{"eventId", envEventID}, {"eventType", envEventType}, {"vehicleId", envVehicleID},
		{"data", envData}, {"meta", envMeta},
		{"version", envVersion}, {"webhookId", envWebhookID}, {"eventName", envEventName},
	}
	dataKeys    = []envKey{{"challenge", envChallenge}, {"vehicle", envVehicle}}
	vehicleKeys = []envKey{{"id", envVehicleRef}}
	metaKeys    = []envKey{{"version", envMetaVersion}, {"deliveredAt", envDeliveredAt}, {"webhookId", envMetaWebhookID}}
)

// What str found inside a string besides plain ASCII.
const (
	strEscaped = 1 << iota
	strNonASCII
)

// plainByte marks the string bytes str passes over without a second look.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

type span struct{ start, end int }

type envelopeScanner struct {
	b     []byte
	i     int
	depth int
	seen  uint16 // a bit per field number, to decline a repeated field
	spans [envStrings]span

	// deliveredAt's text when it is a plain string or a number, which
	// timestampText reads as parseTimestamp would; otherwise its raw
	// value, handed to parseTimestamp itself.
	atText, atRaw span
	atKind        int8
}

// What envelopeScanner.atKind says deliveredAt was.
const (
	deliveredAbsent = iota
	deliveredText
	deliveredRaw
)

// scanEnvelope reads body's envelope in one pass, checking the whole body
// against encoding/json's grammar as it goes. It reports false whenever its
// answer might differ from decodeEnvelope's: a body that is not valid JSON
// or not an object; in an object whose keys it reads, a key that is
// escaped or not ASCII (unquoted or folded, it might name a field) or
// names a field in another case (encoding/json folds case); a read field
// sent twice (encoding/json keeps the last and merges objects); a read
// string that is null, another type, escaped or not UTF-8; nesting deeper
// than maxScanDep. decodeEnvelope reads those bodies.
func scanEnvelope(body []byte) (wireEnvelope, bool) {
	s := envelopeScanner{b: body}
	s.space()
	if !s.at('{') || !s.fields(topKeys) {
		return wireEnvelope{}, false
	}
	s.space()
	if s.i != len(s.b) {
		return wireEnvelope{}, false
	}
	return s.envelope(), true
}

func (s *envelopeScanner) envelope() wireEnvelope {
	n := s.atText.end - s.atText.start
	for _, sp := range s.spans {
		n += sp.end - sp.start
	}
	var sb strings.Builder
	sb.Grow(n)
	for _, sp := range s.spans {
		sb.Write(s.b[sp.start:sp.end])
	}
	sb.Write(s.b[s.atText.start:s.atText.end])
	all := sb.String()

	var w wireEnvelope
	fields := [envStrings]*string{
		envEventID: &w.EventID, envEventType: &w.EventType, envVehicleID: &w.VehicleID,
		envVersion: &w.Version, envWebhookID: &w.WebhookID, envEventName: &w.EventName,
		envChallenge: &w.Data.Challenge, envVehicleRef: &w.Data.Vehicle.ID,
		envMetaVersion: &w.Meta.Version, envMetaWebhookID: &w.Meta.WebhookID,
	}
	off := 0
	for f, sp := range s.spans {
		*fields[f] = all[off : off+sp.end-sp.start]
		off += sp.end - sp.start
	}
	switch s.atKind {
	case deliveredText:
		w.Meta.DeliveredAt.Time = timestampText(all[off:])
	case deliveredRaw:
		w.Meta.DeliveredAt.Time = parseTimestamp(s.b[s.atRaw.start:s.atRaw.end])
	}
	return w
}

// fields walks an object whose keys are read, starting at its '{'.
func (s *envelopeScanner) fields(keys []envKey) bool {
	if !s.enter() {
		return false
	}
	s.space()
	if s.at('}') {
		return s.leave()
	}
	for {
		k0, k1, kind, ok := s.str()
		if !ok || kind != 0 {
			return false
		}
		f := keyField(keys, s.b[k0:k1])
		if !s.colon() || f == envUnsure {
			return false
		}
		if f == envUnread {
			if !s.value() {
				return false
			}
		} else {
			if s.seen&(1<<f) != 0 {
				return false
			}
			s.seen |= 1 << f
			if !s.field(f) {
				return false
			}
		}
		s.space()
		switch {
		case s.at(','):
			s.i++
			s.space()
		case s.at('}'):
			return s.leave()
		default:
			return false
		}
	}
}

// keyField names the field key is read into, as encoding/json's exact
// match would, or says that only its case-folding match could (then the
// scanner declines rather than copy that fold). key is plain ASCII.
func keyField(keys []envKey, key []byte) int {
	for _, k := range keys {
		if foldsTo(key, k.name) {
			if string(key) == k.name {
				return k.field
			}
			return envUnsure
		}
	}
	return envUnread
}

func foldsTo(key []byte, name string) bool {
	if len(key) != len(name) {
		return false
	}
	for i := range key {
		if a, b := key[i], name[i]; a != b && lower(a) != lower(b) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// field reads the value of read field f.
func (s *envelopeScanner) field(f int) bool {
	switch f {
	case envData:
		return s.at('{') && s.fields(dataKeys)
	case envMeta:
		return s.at('{') && s.fields(metaKeys)
	case envVehicle:
		return s.at('{') && s.fields(vehicleKeys)
	case envDeliveredAt:
		start := s.i
		if s.at('"') {
			a, b, kind, ok := s.str()
			if !ok {
				return false
			}
			if kind == 0 || kind == strNonASCII && utf8.Valid(s.b[a:b]) {
				s.atText, s.atKind = span{a, b}, deliveredText
			} else {
				s.atRaw, s.atKind = span{start, s.i}, deliveredRaw
			}
			return true
		}
		if !s.value() {
			return false
		}
		if c := s.b[start]; c == '-' || '0' <= c && c <= '9' {
			s.atText, s.atKind = span{start, s.i}, deliveredText
		} else {
			s.atRaw, s.atKind = span{start, s.i}, deliveredRaw
		}
		return true
	}
	a, b, kind, ok := s.str()
	if !ok || kind&strEscaped != 0 || kind&strNonASCII != 0 && !utf8.Valid(s.b[a:b]) {
		return false
	}
	s.spans[f] = span{a, b}
	return true
}

// value checks one JSON value of any kind and steps past it.
func (s *envelopeScanner) value() bool {
	if s.i >= len(s.b) {
		return false
	}
	switch s.b[s.i] {
	case '"':
		_, _, _, ok := s.str()
		return ok
	case '{':
		return s.object()
	case '[':
		return s.array()
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	}
	return s.number()
}

func (s *envelopeScanner) object() bool {
	if !s.enter() {
		return false
	}
	s.space()
	if s.at('}') {
		return s.leave()
	}
	for {
		if _, _, _, ok := s.str(); !ok || !s.colon() || !s.value() {
			return false
		}
		s.space()
		switch {
		case s.at(','):
			s.i++
			s.space()
		case s.at('}'):
			return s.leave()
		default:
			return false
		}
	}
}

func (s *envelopeScanner) array() bool {
	if !s.enter() {
		return false
	}
	s.space()
	if s.at(']') {
		return s.leave()
	}
	for {
		if !s.value() {
			return false
		}
		s.space()
		switch {
		case s.at(','):
			s.i++
			s.space()
		case s.at(']'):
			return s.leave()
		default:
			return false
		}
	}
}

func (s *envelopeScanner) enter() bool {
	s.i++
	s.depth++
	return s.depth <= maxScanDep
}

func (s *envelopeScanner) leave() bool {
	s.i++
	s.depth--
	return true
}

// colon steps over the ':' after a key and the space around it.
func (s *envelopeScanner) colon() bool {
	s.space()
	if !s.at(':') {
		return false
	}
	s.i++
	s.space()
	return true
}

func (s *envelopeScanner) at(c byte) bool {
	return s.i < len(s.b) && s.b[s.i] == c
}

// space skips what JSON counts as whitespace, which is less than
// bytes.TrimSpace does.
func (s *envelopeScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// str steps over the string at s.i and returns the span between its
// quotes, with strEscaped and strNonASCII saying whether it needs
// unquoting or a UTF-8 check. Like encoding/json it refuses control
// characters and malformed escapes but accepts any byte above them.
func (s *envelopeScanner) str() (start, end int, kind uint8, ok bool) {
	if !s.at('"') {
		return 0, 0, 0, false
	}
	b := s.b
	start = s.i + 1
	for i := start; i < len(b); {
		c := b[i]
		if plainByte[c] {
			i++
			continue
		}
		switch {
		case c == '"':
			s.i = i + 1
			return start, i, kind, true
		case c == '\\':
			kind |= strEscaped
			if i+1 >= len(b) {
				return 0, 0, 0, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return 0, 0, 0, false
				}
				i += 6
			default:
				return 0, 0, 0, false
			}
		case c < 0x20:
			return 0, 0, 0, false
		default:
			kind |= strNonASCII
			i++
		}
	}
	return 0, 0, 0, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// number steps over a number in JSON's grammar; the caller checks what
// follows it, which rejects "01" and "1x".
func (s *envelopeScanner) number() bool {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return false
		}
		i = j
	}
	s.i = i
	return true
}

func digits(b []byte, i int) int {
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i
}

func (s *envelopeScanner) literal(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}
