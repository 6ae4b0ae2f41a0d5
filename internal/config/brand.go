package config

import (
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"reconnect/internal/model"
	"reconnect/internal/vehicletext"
)

// Brand is how owners recognise the host app: its name comes from APP_NAME;
// these add its logo, colour, the benefit its emails mention, and the
// carmaker pages it prefers.
type Brand struct {
	// LogoSource is BRAND_LOGO as given: a file path or an https URL.
	LogoSource string `env:"BRAND_LOGO"`
	// Color is BRAND_COLOR, "#rrggbb" once validated.
	Color string `env:"BRAND_COLOR"`
	// Benefit is what owners keep receiving when they reconnect ("charging
	// updates"); the _DE, _FR and _ES variants say it in those languages.
	Benefit   string `env:"APP_BENEFIT"`
	BenefitDE string `env:"APP_BENEFIT_DE"`
	BenefitFR string `env:"APP_BENEFIT_FR"`
	BenefitES string `env:"APP_BENEFIT_ES"`
	// OEMLinksFile replaces or adds carmaker pages (make → case → URL).
	OEMLinksFile string `env:"OEM_LINKS_FILE"`

	// Filled by validation: the logo file's bytes and type, or the https
	// logo's URL; the parsed OEM links.
	Logo     []byte
	LogoType string
	LogoURL  string
	OEMLinks map[string]map[model.OEMCase]string
}

// MaxLogoBytes keeps a logo small enough to be served from memory.
const MaxLogoBytes = 512 << 10

var logoTypes = map[string]string{
	".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
	".webp": "image/webp", ".gif": "image/gif", ".ico": "image/x-icon",
}

// MinBrandContrast is WCAG 2.2 AA for normal text: white button text on the
// brand colour, and the brand colour as link text on white, must read.
const MinBrandContrast = 4.5

func (b *Brand) validate() error {
	b.Benefit, b.BenefitDE = strings.TrimSpace(b.Benefit), strings.TrimSpace(b.BenefitDE)
	b.BenefitFR, b.BenefitES = strings.TrimSpace(b.BenefitFR), strings.TrimSpace(b.BenefitES)
	if b.Color != "" {
		c, ok := parseHexColor(b.Color)
		if !ok {
			return &Error{"BRAND_COLOR", `a hex colour such as "#0b57d0"`}
		}
		if r := ContrastWithWhite(c); r < MinBrandContrast {
			return &Error{"BRAND_COLOR", fmt.Sprintf("a colour dark enough for white text: %s has a contrast of %.2f:1 against white, WCAG AA needs %.1f:1", c, r, MinBrandContrast)}
		}
		b.Color = c
	}
	switch src := strings.TrimSpace(b.LogoSource); {
	case src == "":
	case strings.Contains(src, "://"):
		u, err := url.Parse(src)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
			return &Error{"BRAND_LOGO", "a file path or an https URL"}
		}
		b.LogoURL = u.String()
	default:
		typ, ok := logoTypes[strings.ToLower(filepath.Ext(src))]
		if !ok {
			return &Error{"BRAND_LOGO", "a .png, .svg, .jpg, .webp, .gif or .ico file, or an https URL"}
		}
		body, err := os.ReadFile(src)
		if err != nil {
			return &Error{"BRAND_LOGO", "a readable file: " + err.Error()}
		}
		if len(body) == 0 || len(body) > MaxLogoBytes {
			return &Error{"BRAND_LOGO", fmt.Sprintf("a file of at most %d KiB", MaxLogoBytes>>10)}
		}
		b.Logo, b.LogoType = body, typ
	}
	if b.OEMLinksFile != "" {
		raw, err := os.ReadFile(b.OEMLinksFile)
		if err != nil {
			return &Error{"OEM_LINKS_FILE", "a readable file: " + err.Error()}
		}
		links, err := vehicletext.ParseOEMLinks(raw)
		if err != nil {
			return &Error{"OEM_LINKS_FILE", err.Error()}
		}
		b.OEMLinks = links
	}
	return nil
}

// BenefitIn is APP_BENEFIT in a language, falling back to APP_BENEFIT; ""
// leaves the sentence out.
func (b Brand) BenefitIn(lang string) string {
	if v := map[string]string{"de": b.BenefitDE, "fr": b.BenefitFR, "es": b.BenefitES}[lang]; v != "" {
		return v
	}
	return b.Benefit
}

// Benefits is BenefitIn for every language that has one.
func (b Brand) Benefits() map[string]string {
	out := map[string]string{}
	for _, l := range []string{"en", "de", "fr", "es"} {
		if v := b.BenefitIn(l); v != "" {
			out[l] = v
		}
	}
	return out
}

func parseHexColor(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	h, ok := strings.CutPrefix(s, "#")
	if !ok {
		return "", false
	}
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	if len(h) != 6 {
		return "", false
	}
	if _, err := strconv.ParseUint(h, 16, 32); err != nil {
		return "", false
	}
	return "#" + h, true
}

// ContrastWithWhite is the WCAG contrast ratio of a "#rrggbb" colour
// against white.
func ContrastWithWhite(hex string) float64 {
	v, _ := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	lin := func(c uint64) float64 {
		s := float64(c) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	l := 0.2126*lin(v>>16&0xff) + 0.7152*lin(v>>8&0xff) + 0.0722*lin(v&0xff)
	return 1.05 / (l + 0.05)
}
