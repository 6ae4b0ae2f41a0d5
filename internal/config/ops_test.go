package config_test

import (
	"errors"
	"strings"
	"testing"

	"reconnect/internal/config"
)

func TestOpsConfiguration(t *testing.T) {
	c, err := config.Load(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Ops.MetricsAddr != "127.0.0.1:9464" || !c.Ops.MetricsOn() || c.Ops.MetricsToken != "" || len(c.Ops.TrustedProxyNets()) != 0 {
		t.Fatalf("defaults: %+v", c.Ops)
	}
	token := strings.Repeat("t", 32)
	c, err = config.Load(map[string]string{"METRICS_ADDR": "off", "METRICS_TOKEN": token,
		"TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.10,2001:db8::/32,"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Ops.MetricsOn() {
		t.Fatal(`METRICS_ADDR=off should turn the listener off`)
	}
	var got []string
	for _, n := range c.Ops.TrustedProxyNets() {
		got = append(got, n.String())
	}
	if strings.Join(got, ",") != "10.0.0.0/8,192.0.2.10/32,2001:db8::/32" {
		t.Fatalf("trusted proxies %v", got)
	}
	for _, kv := range c.Redacted() {
		if strings.Contains(kv[1], token) {
			t.Fatalf("%s shows the metrics token", kv[0])
		}
	}
	for want, env := range map[string]map[string]string{
		"METRICS_ADDR":    {"METRICS_ADDR": "9464"},
		"TRUSTED_PROXIES": {"TRUSTED_PROXIES": "10.0.0.0/33"},
	} {
		_, err := config.Load(env)
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != want {
			t.Errorf("%v: want an error naming %s, got %v", env, want, err)
		}
	}
	_, err = config.Load(map[string]string{"METRICS_TOKEN": "short"})
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Var != "METRICS_TOKEN" {
		t.Fatalf("short token: %v", err)
	}
	_, err = config.Load(map[string]string{"TRUSTED_PROXIES": "proxy.internal"})
	if !errors.As(err, &ce) || ce.Var != "TRUSTED_PROXIES" {
		t.Fatalf("a host name: %v", err)
	}
}
