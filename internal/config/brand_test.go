package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"reconnect/internal/config"
	"reconnect/internal/model"
)

func TestBrandColourMustReadOnWhite(t *testing.T) {
	// A light colour under white button text is refused, naming the variable.
	_, err := config.Load(map[string]string{"BRAND_COLOR": "#7fd1ff"})
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Var != "BRAND_COLOR" || !strings.Contains(err.Error(), "4.5") {
		t.Fatalf("a light brand colour: %v", err)
	}
	// A dark one is taken, written the one way the stylesheet uses.
	c, err := config.Load(map[string]string{"BRAND_COLOR": "#1B5E20"})
	if err != nil || c.Brand.Color != "#1b5e20" {
		t.Fatalf("a dark brand colour: %q, %v", c.Brand.Color, err)
	}
	for _, bad := range []string{"green", "#12345", "1b5e20"} {
		if _, err := config.Load(map[string]string{"BRAND_COLOR": bad}); !errors.As(err, &ce) || ce.Var != "BRAND_COLOR" {
			t.Errorf("BRAND_COLOR=%q: %v", bad, err)
		}
	}
	if r := config.ContrastWithWhite("#000000"); r < 20.9 || r > 21.1 {
		t.Errorf("black on white is %.2f:1, want 21:1", r)
	}
}

func TestBrandLogo(t *testing.T) {
	dir := t.TempDir()
	logo := filepath.Join(dir, "logo.svg")
	if err := os.WriteFile(logo, []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(map[string]string{"BRAND_LOGO": logo})
	if err != nil || c.Brand.LogoType != "image/svg+xml" || len(c.Brand.Logo) == 0 {
		t.Fatalf("a logo file: %+v %v", c.Brand, err)
	}
	c, err = config.Load(map[string]string{"BRAND_LOGO": "https://cdn.chargewell.example/logo.png"})
	if err != nil || c.Brand.LogoURL != "https://cdn.chargewell.example/logo.png" || c.Brand.Logo != nil {
		t.Fatalf("a logo URL: %+v %v", c.Brand, err)
	}
	var ce *config.Error
	for _, bad := range []string{"http://cdn.example/logo.png", filepath.Join(dir, "missing.png"), filepath.Join(dir, "logo.txt")} {
		if _, err := config.Load(map[string]string{"BRAND_LOGO": bad}); !errors.As(err, &ce) || ce.Var != "BRAND_LOGO" {
			t.Errorf("BRAND_LOGO=%q: %v", bad, err)
		}
	}
}

func TestBenefitAndOEMLinksFile(t *testing.T) {
	c, err := config.Load(map[string]string{"APP_BENEFIT": " charging updates ", "APP_BENEFIT_DE": "Lade-Updates"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Brand.BenefitIn("de") != "Lade-Updates" || c.Brand.BenefitIn("fr") != "charging updates" || c.Brand.BenefitIn("en") != "charging updates" {
		t.Errorf("benefits: %+v", c.Brand.Benefits())
	}
	if c, _ := config.Load(map[string]string{}); len(c.Brand.Benefits()) != 0 {
		t.Errorf("no APP_BENEFIT still has benefits: %v", c.Brand.Benefits())
	}

	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "oem.json")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c, err = config.Load(map[string]string{"OEM_LINKS_FILE": write(`{"bmw": {"subscription": "https://shop.bmw.example/connected"}}`)})
	if err != nil || c.Brand.OEMLinks["BMW"][model.OEMSubscription] != "https://shop.bmw.example/connected" {
		t.Fatalf("OEM links: %v %v", c.Brand.OEMLinks, err)
	}
	var ce *config.Error
	for _, bad := range []string{
		`{"BMW": {"subscription": "http://shop.bmw.example"}}`,
		`{"BMW": {"renewal": "https://shop.bmw.example"}}`,
		`["https://shop.bmw.example"]`,
	} {
		_, err := config.Load(map[string]string{"OEM_LINKS_FILE": write(bad)})
		if !errors.As(err, &ce) || ce.Var != "OEM_LINKS_FILE" {
			t.Errorf("OEM_LINKS_FILE with %s: %v", bad, err)
		}
	}
	if _, err := config.Load(map[string]string{"OEM_LINKS_FILE": filepath.Join(dir, "none.json")}); !errors.As(err, &ce) || ce.Var != "OEM_LINKS_FILE" {
		t.Errorf("a missing OEM_LINKS_FILE: %v", err)
	}
}
