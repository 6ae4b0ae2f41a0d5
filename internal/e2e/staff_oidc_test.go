package e2e

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reconnect/internal/app"
	"reconnect/internal/audit"
	bt "reconnect/internal/browsertest"
	"reconnect/internal/model"
	"reconnect/internal/staff"
	"reconnect/internal/staff/idptest"
	"reconnect/internal/store"
)

const (
	oidcClientID = "reconnect-console"
	oidcSecret   = "a client secret for tests only"
)

// Staff as the provider knows them.
var (
	provAdmin   = idptest.User{Subject: "00u-ada", Email: "ada@support.example", EmailVerified: true, Name: "Ada", Groups: []string{"everyone", "console-admins"}}
	provAgent   = idptest.User{Subject: "00u-bo", Email: "bo@support.example", EmailVerified: true, Name: "Bo", Groups: []string{"support"}}
	provNoGroup = idptest.User{Subject: "00u-cy", Email: "cy@support.example", EmailVerified: true, Name: "Cy", Groups: []string{"everyone", "sales"}}
)

// startOIDCApp runs the app with sign-in through an in-process provider.
func startOIDCApp(t *testing.T, dialect string, extra map[string]string) (*app.App, string, *idptest.Provider) {
	t.Helper()
	p := idptest.New(t, oidcClientID, oidcSecret)
	env := map[string]string{
		"STAFF_OIDC_ISSUER": p.URL, "STAFF_OIDC_CLIENT_ID": oidcClientID, "STAFF_OIDC_CLIENT_SECRET": oidcSecret,
		"STAFF_OIDC_PROVIDER_NAME": "Example ID",
		"STAFF_OIDC_ADMIN_GROUPS":  "console-admins", "STAFF_OIDC_AGENT_GROUPS": "support, console-agents",
	}
	for k, v := range extra {
		env[k] = v
	}
	a, base := startApp(t, dialect, env)
	p.AllowRedirect(base + "/console/oidc/callback")
	return a, base, p
}

// ssoStart presses "Sign in with …" and returns where the app sent the
// browser.
func (b *browser) ssoStart() *url.URL {
	b.t.Helper()
	tok := b.csrf("/console/login")
	res, body := b.post("/console/oidc/start", url.Values{"_csrf": {tok}})
	if res.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("start: %d %s", res.StatusCode, body)
	}
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		b.t.Fatal(err)
	}
	return u
}

// atProvider follows the app's redirect to the provider, which approves at
// once, and returns the callback the provider sends the browser to.
func (b *browser) atProvider(authorize *url.URL) string {
	b.t.Helper()
	res, body := b.get(authorize.String())
	if res.StatusCode != http.StatusFound {
		b.t.Fatalf("provider: %d %s", res.StatusCode, body)
	}
	return res.Header.Get("Location")
}

// ssoSignIn goes the whole way and returns the callback's answer.
func (b *browser) ssoSignIn() (*http.Response, string) {
	b.t.Helper()
	return b.get(b.atProvider(b.ssoStart()))
}

// signedIn reports whether the console lets the browser in.
func (b *browser) signedIn() bool {
	b.t.Helper()
	res, _ := b.get("/console")
	return res.StatusCode == http.StatusOK
}

func lastAudit(t *testing.T, st *store.Store, action model.AuditAction) store.AuditEntry {
	t.Helper()
	es, err := st.AuditEntries(context.Background(), store.AuditFilter{Action: action, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) == 0 {
		t.Fatalf("no %s in the audit log", action)
	}
	return es[0]
}

// TestStaffOIDCSignIn signs staff in through the company's provider on
// both databases: roles from groups, accounts made on a first sign-in and
// re-evaluated at each, and every way the provider's answer can be wrong
// refused without a session.
func TestStaffOIDCSignIn(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		a, base, p := startOIDCApp(t, dialect, nil)
		ctx := context.Background()

		t.Run("an admin group makes an admin, on a first sign-in", func(t *testing.T) {
			p.SignInAs(provAdmin)
			b := newBrowser(t, base)
			res, body := b.ssoSignIn()
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console" {
				t.Fatalf("callback: %d %s %s", res.StatusCode, res.Header.Get("Location"), body)
			}
			if _, body := b.get("/console"); !strings.Contains(body, provAdmin.Email) {
				t.Fatal("the dashboard does not name the staff member")
			}
			st, err := a.Store.StaffByOIDC(ctx, p.URL, provAdmin.Subject)
			if err != nil || st.Role != store.RoleAdmin || st.Email != provAdmin.Email {
				t.Fatalf("staff %+v, %v", st, err)
			}
			if e := lastAudit(t, a.Store, model.AuditStaffSSOCreated); e.StaffEmail != provAdmin.Email {
				t.Fatalf("created by %q", e.StaffEmail)
			}
			if e := lastAudit(t, a.Store, model.AuditStaffLogin); !strings.Contains(e.Detail, p.URL) {
				t.Fatalf("sign-in audited as %q", e.Detail)
			}
		})

		t.Run("an agent group makes an agent", func(t *testing.T) {
			p.SignInAs(provAgent)
			b := newBrowser(t, base)
			if res, body := b.ssoSignIn(); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("callback: %d %s", res.StatusCode, body)
			}
			if st, err := a.Store.StaffByOIDC(ctx, p.URL, provAgent.Subject); err != nil || st.Role != store.RoleAgent {
				t.Fatalf("staff %+v, %v", st, err)
			}
			if res, _ := b.get("/console/staff"); res.StatusCode != http.StatusForbidden {
				t.Fatalf("an agent opened the staff page: %d", res.StatusCode)
			}
		})

		t.Run("the role follows the groups at every sign-in", func(t *testing.T) {
			demoted := provAdmin
			demoted.Groups = []string{"console-agents"}
			p.SignInAs(demoted)
			if res, body := newBrowser(t, base).ssoSignIn(); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("callback: %d %s", res.StatusCode, body)
			}
			if st, _ := a.Store.StaffByOIDC(ctx, p.URL, provAdmin.Subject); st.Role != store.RoleAgent {
				t.Fatalf("role %q after leaving the admin group", st.Role)
			}
			if e := lastAudit(t, a.Store, model.AuditStaffSSORoleChanged); !strings.Contains(e.Detail, "admin → agent") {
				t.Fatalf("role change audited as %q", e.Detail)
			}

			demoted.Groups = nil
			p.SignInAs(demoted)
			b := newBrowser(t, base)
			res, body := b.ssoSignIn()
			if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "not in a group that may use the support console") {
				t.Fatalf("no groups: %d %s", res.StatusCode, body)
			}
			if b.signedIn() {
				t.Fatal("signed in without a group")
			}
			e := lastAudit(t, a.Store, model.AuditStaffLoginFailed)
			if st, _ := a.Store.StaffByOIDC(ctx, p.URL, provAdmin.Subject); e.StaffID == nil || *e.StaffID != st.ID || !strings.Contains(e.Detail, "no group") {
				t.Fatalf("refusal audited as %+v", e)
			}
		})

		t.Run("a user in no mapped group is refused and nothing is created", func(t *testing.T) {
			p.SignInAs(provNoGroup)
			b := newBrowser(t, base)
			res, body := b.ssoSignIn()
			if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "Ask your administrator") {
				t.Fatalf("callback: %d %s", res.StatusCode, body)
			}
			if _, err := a.Store.StaffByEmail(ctx, provNoGroup.Email); err == nil {
				t.Fatal("an account was made for a user in no mapped group")
			}
			if e := lastAudit(t, a.Store, model.AuditStaffLoginFailed); e.StaffEmail != provNoGroup.Email {
				t.Fatalf("refusal audited for %q", e.StaffEmail)
			}
		})

		t.Run("a password account is linked only by a verified email", func(t *testing.T) {
			svc := staff.New(a.Store, audit.New(a.Store), staff.Config{BaseURL: base})
			if _, _, err := svc.Create(ctx, audit.Actor{StaffEmail: "(command line)"}, "dee@support.example", "Dee", store.RoleAgent); err != nil {
				t.Fatal(err)
			}
			dee := idptest.User{Subject: "00u-dee", Email: "dee@support.example", EmailVerified: false, Groups: []string{"support"}}
			p.SignInAs(dee)
			b := newBrowser(t, base)
			res, body := b.ssoSignIn()
			if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "has not verified that address") {
				t.Fatalf("unverified: %d %s", res.StatusCode, body)
			}
			acct, _ := a.Store.StaffByEmail(ctx, dee.Email)
			if iss, sub, _ := a.Store.StaffOIDC(ctx, acct.ID); iss != "" || sub != "" || b.signedIn() {
				t.Fatalf("an unverified email took over the account (%q %q)", iss, sub)
			}

			dee.EmailVerified = true
			p.SignInAs(dee)
			if res, body := newBrowser(t, base).ssoSignIn(); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("verified: %d %s", res.StatusCode, body)
			}
			if st, err := a.Store.StaffByOIDC(ctx, p.URL, dee.Subject); err != nil || st.ID != acct.ID {
				t.Fatalf("linked %+v, %v; want account #%d", st, err, acct.ID)
			}
			lastAudit(t, a.Store, model.AuditStaffSSOLinked)
		})

		// ID tokens the provider signs wrongly, or for someone else.
		p.SignInAs(provAgent)
		for _, tc := range []struct {
			name  string
			spoil func(idptest.Claims)
			sig   bool
		}{
			{name: "a wrong nonce", spoil: func(c idptest.Claims) { c["nonce"] = "not-the-one-sent" }},
			{name: "an expired ID token", spoil: func(c idptest.Claims) {
				c["iat"], c["exp"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
			}},
			{name: "a token from another issuer", spoil: func(c idptest.Claims) { c["iss"] = "https://login.elsewhere.example" }},
			{name: "a wrong audience", spoil: func(c idptest.Claims) { c["aud"] = "another-client" }},
			{name: "a tampered signature", sig: true},
		} {
			t.Run(tc.name+" is refused", func(t *testing.T) {
				p.Spoil(tc.spoil)
				p.BreakSignatures(tc.sig)
				defer func() { p.Spoil(nil); p.BreakSignatures(false) }()
				b := newBrowser(t, base)
				res, body := b.ssoSignIn()
				if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "could not be verified") {
					t.Fatalf("callback: %d %s", res.StatusCode, body)
				}
				if b.signedIn() {
					t.Fatal("signed in")
				}
				if e := lastAudit(t, a.Store, model.AuditStaffLoginFailed); !strings.Contains(e.Detail, "ID token") {
					t.Fatalf("refusal audited as %q", e.Detail)
				}
			})
		}

		t.Run("a callback without the state cookie is refused", func(t *testing.T) {
			callback := newBrowser(t, base).atProvider(newBrowser(t, base).ssoStart())
			// The answer reaches another browser, which started nothing.
			b := newBrowser(t, base)
			res, body := b.get(callback)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Start again") || b.signedIn() {
				t.Fatalf("callback: %d %s", res.StatusCode, body)
			}
		})

		t.Run("a callback is used once", func(t *testing.T) {
			b := newBrowser(t, base)
			callback := b.atProvider(b.ssoStart())
			cu, _ := url.Parse(callback)
			kept := slices.Clone(b.c.Jar.Cookies(cu))
			if !slices.ContainsFunc(kept, func(c *http.Cookie) bool { return c.Name == "rc_staff_oidc" }) {
				t.Fatalf("no sign-in cookie for the callback: %v", kept)
			}
			if res, body := b.get(callback); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("first: %d %s", res.StatusCode, body)
			}
			// The same answer again, with the cookie put back as it was.
			replay := newBrowser(t, base)
			replay.c.Jar.SetCookies(cu, kept)
			res, body := replay.get(callback)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "already used") || replay.signedIn() {
				t.Fatalf("replay: %d %s", res.StatusCode, body)
			}
		})

		t.Run("a PKCE challenge that is not ours makes the provider refuse the code", func(t *testing.T) {
			b := newBrowser(t, base)
			authorize := b.ssoStart()
			q := authorize.Query()
			if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
				t.Fatalf("authorization request %s", authorize)
			}
			// Someone swaps the challenge on the way: the verifier the app
			// holds no longer matches it.
			q.Set("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
			authorize.RawQuery = q.Encode()
			before := len(p.Refusals())
			res, body := b.get(b.atProvider(authorize))
			if res.StatusCode != http.StatusUnauthorized || b.signedIn() {
				t.Fatalf("callback: %d %s", res.StatusCode, body)
			}
			if got := p.Refusals()[before:]; !slices.Equal(got, []string{"invalid_grant"}) {
				t.Fatalf("the provider answered %v", got)
			}
		})
	})
}

// TestStaffOIDCOnlyAndProviderDown turns passwords off: the sign-in page
// offers only the provider, the password form and set-password links
// answer 404, and a provider that is down at start-up neither stops the
// app nor hides the button, which explains the outage and works once the
// provider is back.
func TestStaffOIDCOnlyAndProviderDown(t *testing.T) {
	p := idptest.New(t, oidcClientID, oidcSecret)
	p.SetDown(true)
	a, base := startApp(t, "sqlite", map[string]string{
		"STAFF_OIDC_ISSUER": p.URL, "STAFF_OIDC_CLIENT_ID": oidcClientID, "STAFF_OIDC_CLIENT_SECRET": oidcSecret,
		"STAFF_OIDC_PROVIDER_NAME": "Example ID", "STAFF_OIDC_AGENT_GROUPS": "support",
		"STAFF_PASSWORD_LOGIN": "false",
	})
	p.AllowRedirect(base + "/console/oidc/callback")
	p.SignInAs(provAgent)

	b := newBrowser(t, base)
	res, page := b.get("/console/login")
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "Sign in with Example ID") ||
		strings.Contains(page, `name="password"`) || strings.Contains(page, `name="email"`) {
		t.Fatalf("sign-in page: %d %s", res.StatusCode, page)
	}
	tok := b.csrf("/console/login")
	if res, _ := b.post("/console/login", url.Values{"_csrf": {tok}, "email": {"x@support.example"}, "password": {"a long staff passphrase"}}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("password sign-in answered %d", res.StatusCode)
	}
	svc := staff.New(a.Store, audit.New(a.Store), staff.Config{BaseURL: base})
	_, link, err := svc.Create(context.Background(), audit.Actor{StaffEmail: "(command line)"}, "eve@support.example", "", store.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := b.get(link.URL); res.StatusCode != http.StatusNotFound {
		t.Fatalf("a set-password link answered %d", res.StatusCode)
	}

	res, body := b.post("/console/oidc/start", url.Values{"_csrf": {tok}})
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "cannot be reached") {
		t.Fatalf("start while the provider is down: %d %s", res.StatusCode, body)
	}

	p.SetDown(false)
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, _ = b.post("/console/oidc/start", url.Values{"_csrf": {tok}})
		if res.StatusCode == http.StatusSeeOther || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("start after the provider came back: %d", res.StatusCode)
	}
	authorize, _ := url.Parse(res.Header.Get("Location"))
	if res, body := b.get(b.atProvider(authorize)); res.StatusCode != http.StatusSeeOther || !b.signedIn() {
		t.Fatalf("callback: %d %s", res.StatusCode, body)
	}
}

// TestStaffOIDCInBrowser signs in the way staff do: the sign-in page
// (axe-clean), "Sign in with Example ID", the provider, the dashboard.
func TestStaffOIDCInBrowser(t *testing.T) {
	ctx := bt.New(t, 90*time.Second)
	_, base, p := startOIDCApp(t, "sqlite", nil)
	p.SignInAs(provAdmin)

	do(t, ctx, chromedp.Navigate(base+"/console"), chromedp.WaitVisible(bt.TestID("login-sso")))
	bt.NoAxeViolations(t, ctx, "sign in with the provider or a password")
	do(t, ctx,
		chromedp.Click(bt.TestID("login-sso")),
		chromedp.WaitVisible(bt.TestID("console-who")),
	)
	if who := text(t, ctx, "console-who"); !strings.Contains(who, provAdmin.Email) {
		t.Fatalf("signed in as %q", who)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(loc, "/console") {
		t.Fatalf("landed on %s", loc)
	}
}
