// Package brand serves the host app's brand to owners: its logo, a tiny
// stylesheet that sets its colour, and a favicon, each under a name that
// changes with its content so browsers may cache it for a year. Owners are
// sent to pages they have never seen; the host's name, logo and colour tell
// them whose page it is.
package brand

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"reconnect/internal/config"
	"reconnect/static"
	"reconnect/views/layouts"
	"reconnect/web/paths"
)

type file struct {
	body []byte
	typ  string
	etag string
}

// Assets is the brand of one running app.
type Assets struct {
	page    layouts.Brand
	color   string
	imgSrc  []string
	files   map[string]file
	absLogo string
}

// New builds the brand from the validated configuration: the logo file is
// served by us, an https logo is only referenced (the CSP allows its
// origin), and BRAND_COLOR becomes a stylesheet rather than a style
// attribute, which the strict CSP would refuse.
func New(appName, publicBaseURL string, b config.Brand) *Assets {
	a := &Assets{files: map[string]file{}, color: b.Color}
	a.page = layouts.Brand{LogoAlt: appName, FaviconURL: static.Path("img/favicon.svg")}
	if len(b.Logo) > 0 {
		ext := map[string]string{"image/png": ".png", "image/svg+xml": ".svg", "image/jpeg": ".jpg", "image/webp": ".webp", "image/gif": ".gif", "image/x-icon": ".ico"}[b.LogoType]
		name := a.add("logo", ext, b.Logo, b.LogoType)
		a.page.LogoURL = paths.BrandAsset(name)
		a.page.FaviconURL = a.page.LogoURL
		// An email can show our copy only when owners' mail clients can
		// fetch it securely.
		if strings.HasPrefix(publicBaseURL, "https://") {
			a.absLogo = strings.TrimRight(publicBaseURL, "/") + a.page.LogoURL
		}
	}
	if b.LogoURL != "" {
		a.page.LogoURL, a.page.FaviconURL, a.absLogo = b.LogoURL, b.LogoURL, b.LogoURL
		if u, err := url.Parse(b.LogoURL); err == nil {
			a.imgSrc = []string{u.Scheme + "://" + u.Host}
		}
	}
	if b.Color != "" {
		// The colour of buttons and links, and the focus ring, so keyboard
		// users see the same brand.
		css := fmt.Sprintf(":root { --brand: %s; --focus: %s; }\n", b.Color, b.Color)
		a.page.CSSURL = paths.BrandAsset(a.add("brand", ".css", []byte(css), "text/css; charset=utf-8"))
	}
	return a
}

func (a *Assets) add(base, ext string, body []byte, typ string) string {
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:])[:12]
	name := base + "." + h + ext
	a.files[name] = file{body: body, typ: typ, etag: `"` + h + `"`}
	return name
}

// Page is the brand as the page layout shows it.
func (a *Assets) Page() layouts.Brand { return a.page }

// Color is BRAND_COLOR ("#rrggbb"), or "" for our own.
func (a *Assets) Color() string { return a.color }

// EmailLogo is an https address of the logo for emails, or "" to leave the
// logo out.
func (a *Assets) EmailLogo() string { return a.absLogo }

// ImgSources are the origins the CSP must let images come from.
func (a *Assets) ImgSources() []string { return a.imgSrc }

// Serve answers GET /brand/:file.
func (a *Assets) Serve(c echo.Context) error {
	f, ok := a.files[c.Param("file")]
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", f.etag)
	if c.Request().Header.Get("If-None-Match") == f.etag {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, f.typ, f.body)
}
