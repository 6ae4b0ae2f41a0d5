package staff

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"reconnect/internal/audit"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// OIDCConfig is sign-in through the company's OpenID Connect provider.
type OIDCConfig struct {
	// Issuer, ClientID and ClientSecret are the provider and our client
	// registered with it; RedirectURL is the console's callback.
	Issuer, ClientID, ClientSecret, RedirectURL string
	// Name is the provider's name on the button.
	Name   string
	Scopes []string
	// GroupsClaim names the ID token claim listing the user's groups;
	// AdminGroups and AgentGroups map them to roles, admin first.
	GroupsClaim              string
	AdminGroups, AgentGroups []string
	// DiscoveryTimeout bounds one fetch of the discovery document, and
	// RetryAfter is how long a failed fetch is remembered before the next
	// sign-in tries again, so that a provider that is down costs each
	// click at most one timeout and the app no start-up.
	DiscoveryTimeout, RetryAfter time.Duration
	// StateTTL is how long a sign-in may take at the provider.
	StateTTL time.Duration
	// HTTPClient talks to the provider; nil is one with a 10 s timeout.
	HTTPClient *http.Client
}

func (c OIDCConfig) withDefaults() OIDCConfig {
	if c.DiscoveryTimeout <= 0 {
		c.DiscoveryTimeout = 5 * time.Second
	}
	if c.RetryAfter <= 0 {
		c.RetryAfter = 3 * time.Second
	}
	if c.StateTTL <= 0 {
		c.StateTTL = 10 * time.Minute
	}
	if c.GroupsClaim == "" {
		c.GroupsClaim = "groups"
	}
	if len(c.Scopes) == 0 {
		c.Scopes = []string{oidc.ScopeOpenID}
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	return c
}

// Errors of a sign-in through the provider. Each is wrapped in an
// *SSOError that carries what the page may say.
var (
	// ErrSSOUnavailable: the provider's discovery document could not be
	// fetched (down, unreachable, or not the issuer configured).
	ErrSSOUnavailable = errors.New("staff: the identity provider cannot be reached")
	// ErrSSOState: the callback's state is missing from the browser,
	// differs from it, has expired or was used already.
	ErrSSOState = errors.New("staff: sign-in state missing, foreign, expired or used")
	// ErrSSOInvalid: the provider refused the code or its ID token did not
	// verify (signature, issuer, audience, expiry, nonce).
	ErrSSOInvalid = errors.New("staff: the identity provider's answer did not verify")
	// ErrSSORefused: a verified identity the console's rules refuse (no
	// mapped group, a disabled account, an email it may not link).
	ErrSSORefused = errors.New("staff: refused")
)

// SSOError is a failed sign-in through the provider: Kind is one of the
// errors above, Safe the words for the page, Detail what went wrong for
// the log and the audit trail (never a token or a secret).
type SSOError struct {
	Kind   error
	Safe   string
	Detail string
}

func (e *SSOError) Error() string { return e.Kind.Error() + ": " + e.Detail }
func (e *SSOError) Unwrap() error { return e.Kind }

func ssoErr(kind error, safe, format string, args ...any) *SSOError {
	return &SSOError{Kind: kind, Safe: safe, Detail: fmt.Sprintf(format, args...)}
}

// OIDCState is what the browser carries from the start of a sign-in to the
// callback, in an encrypted, short-lived cookie: the state and nonce the
// answer must carry, the PKCE verifier only we know, and where to go after.
type OIDCState struct {
	State, Nonce, Verifier, Next string
	Expires                      time.Time
}

// OIDC signs staff in through the company's OpenID Connect provider and
// then opens the same console sessions a password does.
type OIDC struct {
	svc *Service
	cfg OIDCConfig

	mu      sync.Mutex
	ready   *oidcProvider
	lastErr error
	lastTry time.Time
}

// oidcProvider is what discovery yields.
type oidcProvider struct {
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
}

// NewOIDC returns the sign-in; nothing is fetched until Warm or the first
// sign-in.
func NewOIDC(svc *Service, cfg OIDCConfig) *OIDC {
	return &OIDC{svc: svc, cfg: cfg.withDefaults()}
}

// Name is the provider's name, for the button.
func (o *OIDC) Name() string { return o.cfg.Name }

// Issuer is the provider's issuer URL.
func (o *OIDC) Issuer() string { return o.cfg.Issuer }

// Warm fetches the discovery document ahead of the first sign-in. The app
// calls it in the background when it starts: a provider that is down does
// not stop the app, and the next sign-in tries again.
func (o *OIDC) Warm(ctx context.Context) error {
	_, err := o.provider(ctx)
	return err
}

func (o *OIDC) provider(ctx context.Context) (*oidcProvider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ready != nil {
		return o.ready, nil
	}
	if o.lastErr != nil && time.Since(o.lastTry) < o.cfg.RetryAfter {
		return nil, o.lastErr
	}
	o.lastTry = time.Now()
	// The provider keeps the client for its key set; the timeout bounds
	// only this fetch.
	dctx, cancel := context.WithTimeout(oidc.ClientContext(context.WithoutCancel(ctx), o.cfg.HTTPClient), o.cfg.DiscoveryTimeout)
	defer cancel()
	p, err := oidc.NewProvider(dctx, o.cfg.Issuer)
	if err != nil {
		o.lastErr = ssoErr(ErrSSOUnavailable, unavailableSafe, "discovery at %s: %v", o.cfg.Issuer, err)
		return nil, o.lastErr
	}
	var meta struct {
		AuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	}
	_ = p.Claims(&meta)
	ep := p.Endpoint()
	// The console's pages allow forms to lead to the issuer's origin only
	// (Content-Security-Policy form-action), so an authorization endpoint
	// elsewhere would be blocked by the browser without a word.
	if !sameOrigin(ep.AuthURL, o.cfg.Issuer) {
		o.lastErr = ssoErr(ErrSSOUnavailable, unavailableSafe,
			"the authorization endpoint %s is not at the issuer's origin %s", ep.AuthURL, o.cfg.Issuer)
		return nil, o.lastErr
	}
	// client_secret_basic is the default the specification gives; a
	// provider that lists only client_secret_post gets the secret in the
	// body. Naming the style avoids x/oauth2's guess, which sends the code
	// twice after a refusal.
	ep.AuthStyle = oauth2.AuthStyleInHeader
	if len(meta.AuthMethods) > 0 && !slices.Contains(meta.AuthMethods, "client_secret_basic") && slices.Contains(meta.AuthMethods, "client_secret_post") {
		ep.AuthStyle = oauth2.AuthStyleInParams
	}
	o.ready = &oidcProvider{
		oauth: &oauth2.Config{
			ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, RedirectURL: o.cfg.RedirectURL,
			Endpoint: ep, Scopes: o.cfg.Scopes,
		},
		verifier: p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID}),
	}
	o.lastErr = nil
	return o.ready, nil
}

const unavailableSafe = "The sign-in provider cannot be reached at the moment, so the console cannot send you there. Try again in a minute; if it keeps happening, tell your administrator."

func sameOrigin(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Scheme == ub.Scheme && strings.EqualFold(ua.Host, ub.Host)
}

// Begin starts a sign-in: the provider's authorization URL (code flow with
// PKCE S256, a fresh state and nonce) and the state for the browser's
// cookie. next is where to go once signed in.
func (o *OIDC) Begin(ctx context.Context, next string) (string, OIDCState, error) {
	p, err := o.provider(ctx)
	if err != nil {
		return "", OIDCState{}, err
	}
	st := OIDCState{
		State: store.NewSecret(""), Nonce: store.NewSecret(""), Verifier: oauth2.GenerateVerifier(),
		Next: next, Expires: o.svc.store.Now().Add(o.cfg.StateTTL),
	}
	u := p.oauth.AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	return u, st, nil
}

// Finish completes a sign-in from the provider's answer (the callback's
// query) and the state the browser kept (nil when the cookie was missing):
// it checks the state, exchanges the code with the PKCE verifier, verifies
// the ID token and its nonce, maps the groups to a role, finds, links or
// creates the staff member, and opens a console session. Every refusal
// after the state check is audited.
func (o *OIDC) Finish(ctx context.Context, from audit.Actor, kept *OIDCState, q url.Values) (Session, string, error) {
	if err := o.checkState(ctx, kept, q.Get("state")); err != nil {
		return Session{}, "", err
	}
	id, err := o.identify(ctx, kept, q)
	if err != nil {
		return Session{}, "", o.refused(ctx, from, err)
	}
	// The audit trail names the account a refusal concerns, when there is one.
	from.StaffEmail = id.email
	if st, err := o.svc.store.StaffByOIDC(ctx, id.issuer, id.subject); err == nil {
		from.StaffID, from.StaffEmail = st.ID, st.Email
	}
	cur, token, err := o.signIn(ctx, from, id)
	if err != nil {
		return Session{}, "", o.refused(ctx, from, err)
	}
	return cur, token, nil
}

const stateSafe = "This sign-in was already used, has expired or was started in another browser. Start again from the sign-in page."

// checkState compares the callback's state with the browser's in constant
// time and spends it, so that a replayed callback is refused.
func (o *OIDC) checkState(ctx context.Context, kept *OIDCState, got string) error {
	switch {
	case kept == nil || kept.State == "":
		return ssoErr(ErrSSOState, stateSafe, "no sign-in state in the browser")
	case got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(kept.State)) != 1:
		return ssoErr(ErrSSOState, stateSafe, "the state differs from the browser's")
	case !o.svc.store.Now().Before(kept.Expires):
		return ssoErr(ErrSSOState, stateSafe, "the state expired at %s", kept.Expires.UTC().Format(time.RFC3339))
	}
	fresh, err := o.svc.store.SpendOIDCState(ctx, store.HashSecret(kept.State), kept.Expires)
	if err != nil {
		return err
	}
	if !fresh {
		return ssoErr(ErrSSOState, stateSafe, "the state was used already")
	}
	return nil
}

// identity is what a verified ID token says about the user.
type identity struct {
	issuer, subject, email, name string
	emailVerified                bool
	groups                       []string
	role                         string
}

const invalidSafe = "The sign-in provider's answer could not be verified, so you are not signed in. Start again; if it keeps happening, tell your administrator."

// identify turns the provider's answer into a verified identity.
func (o *OIDC) identify(ctx context.Context, kept *OIDCState, q url.Values) (identity, error) {
	if e := q.Get("error"); e != "" {
		// The provider's own refusal (access_denied, …); its description
		// is the provider's text, kept for the audit trail only.
		return identity{}, ssoErr(ErrSSORefused, "The sign-in provider did not let you through ("+clipWord(e)+"). Ask your administrator for access to the support console.",
			"the provider answered %s: %s", clipWord(e), store.Clip(q.Get("error_description"), 200))
	}
	p, err := o.provider(ctx)
	if err != nil {
		return identity{}, err
	}
	code := q.Get("code")
	if code == "" {
		return identity{}, ssoErr(ErrSSOInvalid, invalidSafe, "the callback carries no code")
	}
	hctx := context.WithValue(ctx, oauth2.HTTPClient, o.cfg.HTTPClient)
	tok, err := p.oauth.Exchange(hctx, code, oauth2.VerifierOption(kept.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return identity{}, ssoErr(ErrSSOInvalid, invalidSafe, "the token endpoint refused the code: %s (HTTP %d)", clipWord(re.ErrorCode), re.Response.StatusCode)
		}
		return identity{}, ssoErr(ErrSSOInvalid, invalidSafe, "token exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return identity{}, ssoErr(ErrSSOInvalid, invalidSafe, "the token response carries no ID token")
	}
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return identity{}, ssoErr(ErrSSOInvalid, invalidSafe, "ID token: %v", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(kept.Nonce)) != 1 {
		return identity{}, ssoErr(ErrSSOInvalid, invalidSafe, "ID token: the nonce differs from the one this browser sent")
	}
	var std struct {
		Email         string `json:"email"`
		EmailVerified any    `json:"email_verified"`
		Name          string `json:"name"`
		AZP           string `json:"azp"`
	}
	var all map[string]any
	if err := errors.Join(idt.Claims(&std), idt.Claims(&all)); err != nil {
		return identity{}, ssoErr(ErrSSOInvalid, invalidSafe, "ID token claims: %v", err)
	}
	// A token for several audiences must name us as the party it was
	// issued to (OpenID Connect Core 3.1.3.7).
	if len(idt.Audience) > 1 && std.AZP != o.cfg.ClientID {
		return identity{}, ssoErr(ErrSSOInvalid, invalidSafe, "ID token: several audiences and azp %q is not this client", std.AZP)
	}
	id := identity{
		issuer: idt.Issuer, subject: idt.Subject, email: strings.ToLower(strings.TrimSpace(std.Email)), name: std.Name,
		emailVerified: truthy(std.EmailVerified), groups: stringList(all[o.cfg.GroupsClaim]),
	}
	id.role = o.role(id.groups)
	return id, nil
}

// role maps groups to a console role: admin over agent, "" for neither.
func (o *OIDC) role(groups []string) string {
	in := func(mapped []string) bool {
		return slices.ContainsFunc(groups, func(g string) bool { return slices.Contains(mapped, g) })
	}
	switch {
	case in(o.cfg.AdminGroups):
		return store.RoleAdmin
	case in(o.cfg.AgentGroups):
		return store.RoleAgent
	}
	return ""
}

const (
	noGroupSafe  = "Your account at the sign-in provider is not in a group that may use the support console. Ask your administrator to add you to the console's agent or admin group."
	disabledSafe = "Your support console account is disabled. Ask a console admin."
	noLinkSafe   = "A console account with your email address exists, but the sign-in provider has not verified that address, so it cannot be joined to your provider account. Ask your administrator."
)

// signIn finds the staff member behind a verified identity (creating or
// linking one when the rules allow), brings their role in line with their
// groups, and opens a session, all in one transaction.
func (o *OIDC) signIn(ctx context.Context, from audit.Actor, id identity) (Session, string, error) {
	if id.role == "" {
		return Session{}, "", ssoErr(ErrSSORefused, noGroupSafe, "subject %s is in no group mapped to a role (groups: %s)", id.subject, store.Clip(strings.Join(id.groups, ","), 300))
	}
	var cur Session
	var token string
	err := o.svc.store.Tx(ctx, func(tx *store.Store) error {
		st, err := o.account(ctx, tx, from, id)
		if err != nil {
			return err
		}
		from.StaffID, from.StaffEmail = st.ID, st.Email
		if st.Role != id.role {
			if err := tx.SetStaffRole(ctx, st.ID, id.role); err != nil {
				return err
			}
			if err := o.svc.audit.Record(ctx, tx, audit.Entry{Actor: from, Action: model.AuditStaffSSORoleChanged,
				Detail: fmt.Sprintf("%s → %s by the provider's groups", st.Role, id.role)}); err != nil {
				return err
			}
			st.Role = id.role
		}
		cur, token, err = o.svc.openSession(ctx, tx, st, from, "through "+o.cfg.Issuer)
		return err
	})
	return cur, token, err
}

// account is the staff member an identity signs in as: the one linked to
// it; else, on a first sign-in, the password account with the same email
// when the provider verified that email; else a new account.
func (o *OIDC) account(ctx context.Context, tx *store.Store, from audit.Actor, id identity) (store.Staff, error) {
	st, err := tx.StaffByOIDC(ctx, id.issuer, id.subject)
	switch {
	case err == nil:
		if st.DisabledAt != nil {
			return store.Staff{}, ssoErr(ErrSSORefused, disabledSafe, "account #%d is disabled", st.ID)
		}
		return st, nil
	case !errors.Is(err, store.ErrNotFound):
		return store.Staff{}, err
	}
	if id.email == "" || !validEmail(id.email) {
		return store.Staff{}, ssoErr(ErrSSORefused, "The sign-in provider sent no email address for you, which the console needs. Ask your administrator.",
			"subject %s has no usable email claim", id.subject)
	}
	from.StaffEmail = id.email
	st, err = tx.StaffByEmail(ctx, id.email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		st, err = tx.CreateStaff(ctx, store.Staff{Email: id.email, Name: strings.TrimSpace(id.name), Role: id.role})
		if err != nil {
			return store.Staff{}, err
		}
		if err := tx.LinkStaffOIDC(ctx, st.ID, id.issuer, id.subject); err != nil {
			return store.Staff{}, err
		}
		from.StaffID = st.ID
		return st, o.svc.audit.Record(ctx, tx, audit.Entry{Actor: from, Action: model.AuditStaffSSOCreated,
			Detail: fmt.Sprintf("%s (%s) on a first sign-in through %s", id.email, id.role, id.issuer)})
	case err != nil:
		return store.Staff{}, err
	}
	// An account with this email exists. Joining it to the identity hands
	// it over, so only an address the provider vouches for may do that.
	if !id.emailVerified {
		return store.Staff{}, ssoErr(ErrSSORefused, noLinkSafe, "account #%d has the email of subject %s, who the provider does not say verified it; not linked", st.ID, id.subject)
	}
	if iss, sub, err := tx.StaffOIDC(ctx, st.ID); err != nil {
		return store.Staff{}, err
	} else if sub != "" {
		return store.Staff{}, ssoErr(ErrSSORefused, noLinkSafe, "account #%d is linked to another identity (%s at %s); not linked to %s", st.ID, sub, iss, id.subject)
	}
	if st.DisabledAt != nil {
		return store.Staff{}, ssoErr(ErrSSORefused, disabledSafe, "account #%d is disabled", st.ID)
	}
	if err := tx.LinkStaffOIDC(ctx, st.ID, id.issuer, id.subject); err != nil {
		return store.Staff{}, err
	}
	from.StaffID = st.ID
	return st, o.svc.audit.Record(ctx, tx, audit.Entry{Actor: from, Action: model.AuditStaffSSOLinked,
		Detail: fmt.Sprintf("password account joined to subject %s at %s (email verified)", id.subject, id.issuer)})
}

// refused audits a sign-in the provider's answer or the console's rules
// refused, outside the transaction that was rolled back.
func (o *OIDC) refused(ctx context.Context, from audit.Actor, err error) error {
	var se *SSOError
	if !errors.As(err, &se) || errors.Is(err, ErrSSOUnavailable) {
		return err
	}
	if aerr := o.svc.audit.Record(ctx, nil, audit.Entry{Actor: from, Action: model.AuditStaffLoginFailed,
		Detail: "through " + o.cfg.Issuer + ": " + se.Detail}); aerr != nil {
		return errors.Join(err, aerr)
	}
	return err
}

// truthy reads email_verified, a boolean, or the string "true" from
// providers that send it so.
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}

// stringList reads a groups claim: a list of strings, or one string.
func stringList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// clipWord keeps an error code from the provider short and plain, since
// it is shown on a page.
func clipWord(s string) string {
	s = store.Clip(s, 64)
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r == '.' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, s)
}
