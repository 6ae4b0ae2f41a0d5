package session

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 64) }

// A session written with an old key still reads after a rotation; a cookie
// from an unknown key or a tampered one gives an empty session, not an error.
func TestSessionRoundTripAndRotation(t *testing.T) {
	e := echo.New()
	old := New([][]byte{key(1)}, false, 3600)
	rec := httptest.NewRecorder()
	c := e.NewContext(httptest.NewRequest("GET", "/", nil), rec)
	if err := old.SignIn(c, 42); err != nil {
		t.Fatal(err)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteLaxMode {
		t.Fatalf("cookie flags: %+v", cookies)
	}
	read := func(m *Manager, ck *http.Cookie) (int64, bool) {
		req := httptest.NewRequest("GET", "/", nil)
		req.AddCookie(ck)
		return m.OwnerID(e.NewContext(req, httptest.NewRecorder()))
	}
	rotated := New([][]byte{key(2), key(1)}, false, 3600)
	if id, ok := read(rotated, cookies[0]); !ok || id != 42 {
		t.Fatalf("rotated keys lost the session: %d %v", id, ok)
	}
	if _, ok := read(New([][]byte{key(3)}, false, 3600), cookies[0]); ok {
		t.Fatal("an unknown key decoded the session")
	}
	tampered := *cookies[0]
	tampered.Value = tampered.Value[:len(tampered.Value)-2] + "xx"
	if _, ok := read(old, &tampered); ok {
		t.Fatal("a tampered cookie decoded")
	}
}
