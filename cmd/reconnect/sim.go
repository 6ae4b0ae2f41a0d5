package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"reconnect/internal/demo"
	"reconnect/internal/smartcarsim"
)

// simSetting is one credential or list the simulator runs with: its value,
// the environment variable and flag that set it, and where the value came from.
type simSetting struct {
	label, envName, flagName string
	secret                   bool
	value                    string
	source                   string // "flag", "environment" or "demo"
}

// simSettings is the configuration `reconnect sim` resolves from its flags,
// the environment and the demo's defaults, in that order.
type simSettings struct {
	addr   string
	appURL string

	clientID        simSetting
	clientSecret    simSetting
	apiClientID     simSetting
	apiClientSecret simSetting
	managementToken simSetting

	redirectURIs   []string
	redirectSource string
}

// simSettingsFrom reads the same variable names the app reads, so that one
// environment configures both sides, plus SIM_REDIRECT_URIS for further
// registered callbacks. A flag wins over its variable; anything unset falls
// back to the demo's value.
func simSettingsFrom(args []string, env map[string]string, stderr io.Writer) (simSettings, error) {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr(env, "SIM_ADDR", "localhost:8081"), "listen address (SIM_ADDR)")
	appURL := fs.String("app-url", envOr(env, "PUBLIC_BASE_URL", "http://127.0.0.1:8080"), "the app whose <app-url>/connect/callback is registered when no redirect URI is given (PUBLIC_BASE_URL)")
	// Flag defaults stay empty so that `sim -h` never prints a secret taken
	// from the environment.
	st := simSettings{
		clientID:        simSetting{label: "client id", envName: "SMARTCAR_CLIENT_ID", flagName: "client-id"},
		clientSecret:    simSetting{label: "client secret", envName: "SMARTCAR_CLIENT_SECRET", flagName: "client-secret", secret: true},
		apiClientID:     simSetting{label: "api client id", envName: "SMARTCAR_API_CLIENT_ID", flagName: "api-client-id"},
		apiClientSecret: simSetting{label: "api client secret", envName: "SMARTCAR_API_CLIENT_SECRET", flagName: "api-client-secret", secret: true},
		managementToken: simSetting{label: "management token", envName: "SMARTCAR_MANAGEMENT_TOKEN", flagName: "management-token", secret: true},
	}
	defaults := map[*simSetting]string{
		&st.clientID: demo.ClientID, &st.clientSecret: demo.ClientSecret,
		&st.apiClientID: demo.APIClientID, &st.apiClientSecret: demo.APIClientSecret,
		&st.managementToken: demo.ManagementToken,
	}
	flags := map[*simSetting]*string{}
	for _, s := range st.settings() {
		flags[s] = fs.String(s.flagName, "", fmt.Sprintf("the app's %s (%s; default: the demo's)", s.label, s.envName))
	}
	redirectURI := fs.String("redirect-uri", "", "the app's redirect URI, registered first, so it is the default (SMARTCAR_REDIRECT_URI)")
	redirectURIs := fs.String("redirect-uris", "", "more registered redirect URIs, comma-separated (SIM_REDIRECT_URIS)")
	if err := fs.Parse(args); err != nil {
		return simSettings{}, &usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return simSettings{}, &usageError{"sim takes no arguments, only flags: " + strings.Join(fs.Args(), " ")}
	}
	st.addr, st.appURL = *addr, strings.TrimRight(*appURL, "/")

	for _, s := range st.settings() {
		switch {
		case *flags[s] != "":
			s.value, s.source = *flags[s], "flag"
		case env[s.envName] != "":
			s.value, s.source = env[s.envName], "environment"
		default:
			s.value, s.source = defaults[s], "demo"
		}
	}
	// The app accepts two management tokens during a rotation and signs
	// with the first; Smartcar has one at a time.
	if first, _, _ := strings.Cut(st.managementToken.value, ","); strings.TrimSpace(first) != "" {
		st.managementToken.value = strings.TrimSpace(first)
	}

	first, firstName := *redirectURI, "--redirect-uri"
	if first == "" {
		first, firstName = env["SMARTCAR_REDIRECT_URI"], "SMARTCAR_REDIRECT_URI"
	}
	more, moreName := *redirectURIs, "--redirect-uris"
	if more == "" {
		more, moreName = env["SIM_REDIRECT_URIS"], "SIM_REDIRECT_URIS"
	}
	add := func(raw, name string) error {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			return nil
		}
		if u, err := url.Parse(raw); err != nil || u.Scheme == "" || (u.Host == "" && u.Opaque == "") {
			return &usageError{fmt.Sprintf("%s: %q is not an absolute URL", name, raw)}
		}
		if !slices.Contains(st.redirectURIs, raw) {
			st.redirectURIs = append(st.redirectURIs, raw)
		}
		return nil
	}
	if err := add(first, firstName); err != nil {
		return simSettings{}, err
	}
	for raw := range strings.SplitSeq(more, ",") {
		if err := add(raw, moreName); err != nil {
			return simSettings{}, err
		}
	}
	st.redirectSource = "configured"
	if len(st.redirectURIs) == 0 {
		st.redirectURIs = []string{st.appURL + "/connect/callback"}
		st.redirectSource = "the app's default"
	}
	return st, nil
}

func (st *simSettings) settings() []*simSetting {
	return []*simSetting{&st.clientID, &st.clientSecret, &st.apiClientID, &st.apiClientSecret, &st.managementToken}
}

// config is the simulator's configuration: the demo's, with the
// application's identity replaced by the settings.
func (st simSettings) config(publicURL string) smartcarsim.Config {
	cfg := demo.SimConfig(st.appURL, publicURL)
	cfg.ClientID, cfg.ClientSecret = st.clientID.value, st.clientSecret.value
	cfg.APIClientID, cfg.APIClientSecret = st.apiClientID.value, st.apiClientSecret.value
	cfg.ManagementToken = st.managementToken.value
	cfg.RedirectURIs = st.redirectURIs
	return cfg
}

// redactSecret shows that a secret is set and, when it is long enough for
// that to give little away, its last four characters.
func redactSecret(v string) string {
	switch {
	case v == "":
		return "(not set)"
	case len(v) < 16:
		return "set"
	default:
		return "set, ending in …" + v[len(v)-4:]
	}
}

// printSimSettings is the start-up summary: what is in force and where each
// value came from, secrets redacted.
func printSimSettings(w io.Writer, publicURL string, st simSettings) {
	fmt.Fprintf(w, "Smartcar simulator at %s\n", publicURL)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range st.settings() {
		v := s.value
		if s.secret {
			v = redactSecret(v)
		}
		from := "from --" + s.flagName
		switch s.source {
		case "environment":
			from = "from " + s.envName
		case "demo":
			from = "the demo's; set " + s.envName + " or --" + s.flagName
		}
		fmt.Fprintf(tw, "  %s\t%s\t(%s)\n", s.label, v, from)
	}
	fmt.Fprintf(tw, "  redirect uris\t%s\t(%s; SMARTCAR_REDIRECT_URI first, then SIM_REDIRECT_URIS)\n", strings.Join(st.redirectURIs, ", "), st.redirectSource)
	tw.Flush()
}

// cmdSim runs the Smartcar simulator alone, as the application the
// environment describes.
func cmdSim(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	st, err := simSettingsFrom(args, env, stderr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", st.addr)
	if err != nil {
		return fmt.Errorf("listen on %s (--addr): %w", st.addr, err)
	}
	// Links the simulator hands out use the host as given (localhost stays
	// localhost) with the port actually bound, so --addr host:0 works.
	host, _, _ := net.SplitHostPort(st.addr)
	if host == "" {
		host = "localhost"
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	publicURL := "http://" + net.JoinHostPort(host, port)

	cfg := st.config(publicURL)
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	sim := smartcarsim.New(cfg)
	defer sim.Close()
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	printSimSettings(stdout, publicURL, st)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
