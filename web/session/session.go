// Package session keeps the owner's session in a signed, encrypted cookie
// (gorilla/sessions) behind typed accessors, so no handler touches a magic
// string.
package session

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"reconnect/internal/probe"
)

// Cookie names. The staff console has its own cookie so that an owner session
// and a staff session never mix.
const (
	OwnerCookie = "rc_owner"
	CSRFCookie  = "rc_csrf"
)

// Keys in the owner session.
const (
	keySID    = "sid"
	keyOwner  = "owner"
	keyLocale = "locale"
	keyToken  = "csrf"
	keyLink   = "link"
	keyFlash  = "flash"
	// keyFlashVehicle is the vehicle the notice is about.
	keyFlashVehicle = "flash_vehicle"
)

// Manager reads and writes the cookies.
type Manager struct {
	store *sessions.CookieStore
}

// New takes 64-byte keys, newest first: each is split into an HMAC key and an
// AES key, and every key still decodes so keys can be rotated.
func New(keys [][]byte, secure bool, maxAge int) *Manager {
	var pairs [][]byte
	for _, k := range keys {
		pairs = append(pairs, k[:32], k[32:64])
	}
	st := sessions.NewCookieStore(pairs...)
	for _, c := range st.Codecs {
		if sc, ok := c.(*securecookie.SecureCookie); ok {
			sc.SetSerializer(jsonSerializer{})
		}
	}
	// gorilla/sessions 1.4 defaults to SameSite=None and HttpOnly=false;
	// owners arrive from email and from Smartcar, which Lax allows for
	// top-level GETs while still keeping cross-site POSTs out.
	st.Options = &sessions.Options{Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
	st.MaxAge(maxAge)
	return &Manager{store: st}
}

func (m *Manager) get(c echo.Context, name string) *sessions.Session {
	s, err := m.store.Get(c.Request(), name)
	if err != nil {
		// A cookie from an old key or a tampered one: start afresh.
		s, _ = m.store.New(c.Request(), name)
	}
	return s
}

func randomID() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// OwnerID returns the signed-in owner, if any.
func (m *Manager) OwnerID(c echo.Context) (int64, bool) {
	id, ok := m.get(c, OwnerCookie).Values[keyOwner].(int64)
	return id, ok && id > 0
}

// SID identifies this browser's owner session; server-side state such as a
// Connect `state` is bound to it.
func (m *Manager) SID(c echo.Context) string {
	sid, _ := m.get(c, OwnerCookie).Values[keySID].(string)
	return sid
}

// SignIn opens an owner session with a fresh session id, so nothing bound to
// an earlier session (fixation) carries over.
func (m *Manager) SignIn(c echo.Context, ownerID int64) error {
	s := m.get(c, OwnerCookie)
	locale := s.Values[keyLocale]
	s.Values = map[any]any{keySID: randomID(), keyOwner: ownerID}
	if locale != nil {
		s.Values[keyLocale] = locale
	}
	return s.Save(c.Request(), c.Response())
}

// SetLink remembers the link that opened the session (return URL, attribution).
func (m *Manager) SetLink(c echo.Context, linkID int64) error {
	s := m.get(c, OwnerCookie)
	s.Values[keyLink] = linkID
	return s.Save(c.Request(), c.Response())
}

// LinkID is the link that opened this session, if any.
func (m *Manager) LinkID(c echo.Context) (int64, bool) {
	id, ok := m.get(c, OwnerCookie).Values[keyLink].(int64)
	return id, ok && id > 0
}

// Notice is a one-time message for the next page: a message key and the
// vehicle it is about. The text is rendered when the page is shown, so no
// text a host or an owner supplied (a car's model, a name) ever goes into
// the cookie, which a long one would overflow after the action committed.
type Notice struct {
	Key       string
	VehicleID int64
}

// SetFlash stores a one-time notice for the next page.
func (m *Manager) SetFlash(c echo.Context, n Notice) error {
	s := m.get(c, OwnerCookie)
	s.Values[keyFlash], s.Values[keyFlashVehicle] = n.Key, n.VehicleID
	return s.Save(c.Request(), c.Response())
}

// Flash returns and clears the one-time notice; a probe (HEAD) leaves it
// for the page a person will see.
func (m *Manager) Flash(c echo.Context) (Notice, bool) {
	s := m.get(c, OwnerCookie)
	key, _ := s.Values[keyFlash].(string)
	if key == "" {
		return Notice{}, false
	}
	vid, _ := s.Values[keyFlashVehicle].(int64)
	if !probe.Is(c.Request().Context()) {
		delete(s.Values, keyFlash)
		delete(s.Values, keyFlashVehicle)
		_ = s.Save(c.Request(), c.Response())
	}
	return Notice{Key: key, VehicleID: vid}, true
}

// SignOut ends the owner session but keeps the language choice.
func (m *Manager) SignOut(c echo.Context) error {
	s := m.get(c, OwnerCookie)
	delete(s.Values, keyOwner)
	delete(s.Values, keySID)
	return s.Save(c.Request(), c.Response())
}

// Locale is the language the visitor picked with the switcher.
func (m *Manager) Locale(c echo.Context) string {
	l, _ := m.get(c, OwnerCookie).Values[keyLocale].(string)
	return l
}

// SetLocale remembers the visitor's language choice.
func (m *Manager) SetLocale(c echo.Context, lang string) error {
	s := m.get(c, OwnerCookie)
	s.Values[keyLocale] = lang
	return s.Save(c.Request(), c.Response())
}

// CSRFToken returns this browser's CSRF token, creating it on first use.
func (m *Manager) CSRFToken(c echo.Context) (string, error) {
	s := m.get(c, CSRFCookie)
	if t, ok := s.Values[keyToken].(string); ok && t != "" {
		return t, nil
	}
	t := randomID()
	s.Values[keyToken] = t
	s.Options = &sessions.Options{Path: "/", MaxAge: 0, HttpOnly: true, Secure: m.store.Options.Secure, SameSite: http.SameSiteLaxMode}
	return t, s.Save(c.Request(), c.Response())
}

// Store exposes the cookie store to other cookies of the app (the staff
// console) so they share keys and options.
func (m *Manager) Store() *sessions.CookieStore { return m.store }
