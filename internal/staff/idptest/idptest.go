// Package idptest is a small OpenID Connect provider that runs inside a
// test: discovery, JWKS, an authorization endpoint that approves at once as
// the user the test chose, and a token endpoint that checks the client's
// credentials and the PKCE verifier before it hands out an RS256-signed ID
// token. Tests spoil the next tokens (another issuer, an old expiry, a
// wrong nonce, a broken signature) to see the console refuse them.
package idptest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// User is who the provider signs in, without asking.
type User struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Groups        []string
}

// Claims are an ID token's claims, for a test to spoil before signing.
type Claims map[string]any

// Provider is the provider; URL is its issuer.
type Provider struct {
	URL          string
	ClientID     string
	ClientSecret string
	// GroupsClaim names the claim that lists the user's groups.
	GroupsClaim string

	srv   *httptest.Server
	key   *rsa.PrivateKey
	keyID string

	mu          sync.Mutex
	user        User
	redirectURI string
	codes       map[string]grant
	spoil       func(Claims)
	breakSig    bool
	down        bool
	refusals    []string
}

type grant struct {
	user        User
	challenge   string
	nonce       string
	redirectURI string
	expires     time.Time
}

// New starts a provider for clientID and secret; it stops with the test.
func New(t testing.TB, clientID, secret string) *Provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{ClientID: clientID, ClientSecret: secret, GroupsClaim: "groups", key: key, keyID: "test-key-1", codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux)
	p.URL = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

// SignInAs chooses the user the authorization endpoint approves.
func (p *Provider) SignInAs(u User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = u
}

// AllowRedirect registers the client's one redirect URI.
func (p *Provider) AllowRedirect(uri string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.redirectURI = uri
}

// Spoil changes the claims of every ID token from now on; nil stops.
func (p *Provider) Spoil(fn func(Claims)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.spoil = fn
}

// BreakSignatures makes every ID token's signature wrong from now on.
func (p *Provider) BreakSignatures(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.breakSig = on
}

// SetDown makes discovery answer 503, like a provider in an outage.
func (p *Provider) SetDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
}

// Refusals lists the OAuth error codes the token endpoint answered.
func (p *Provider) Refusals() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.refusals)
}

func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	p.mu.Lock()
	down := p.down
	p.mu.Unlock()
	if down {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.URL,
		"authorization_endpoint":                p.URL + "/authorize",
		"token_endpoint":                        p.URL + "/token",
		"jwks_uri":                              p.URL + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &p.key.PublicKey, KeyID: p.keyID, Algorithm: string(jose.RS256), Use: "sig"},
	}})
}

// authorize approves at once: no login form, the chosen user.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	defer p.mu.Unlock()
	redirect := q.Get("redirect_uri")
	if q.Get("client_id") != p.ClientID || redirect == "" || redirect != p.redirectURI {
		// Never redirect to an address the client did not register.
		http.Error(w, "unknown client or redirect_uri", http.StatusBadRequest)
		return
	}
	back, _ := url.Parse(redirect)
	answer := url.Values{"state": {q.Get("state")}}
	switch {
	case q.Get("response_type") != "code",
		!slices.Contains(strings.Fields(q.Get("scope")), "openid"),
		q.Get("code_challenge_method") != "S256", q.Get("code_challenge") == "":
		answer.Set("error", "invalid_request")
	default:
		code := randomString()
		p.codes[code] = grant{user: p.user, challenge: q.Get("code_challenge"), nonce: q.Get("nonce"),
			redirectURI: redirect, expires: time.Now().Add(time.Minute)}
		answer.Set("code", code)
	}
	back.RawQuery = answer.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token exchanges a code: client credentials (Basic, whose halves are
// form-encoded, or in the body), the code once, the same redirect URI, and
// the PKCE verifier whose S256 hash is the challenge.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	refuse := func(status int, code string) {
		p.refusals = append(p.refusals, code)
		writeJSON(w, status, map[string]string{"error": code})
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if subtle.ConstantTimeCompare([]byte(id), []byte(p.ClientID)) != 1 || subtle.ConstantTimeCompare([]byte(secret), []byte(p.ClientSecret)) != 1 {
		refuse(http.StatusUnauthorized, "invalid_client")
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		refuse(http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	code := r.PostForm.Get("code")
	g, ok := p.codes[code]
	delete(p.codes, code)
	if !ok || time.Now().After(g.expires) || r.PostForm.Get("redirect_uri") != g.redirectURI {
		refuse(http.StatusBadRequest, "invalid_grant")
		return
	}
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(g.challenge)) != 1 {
		refuse(http.StatusBadRequest, "invalid_grant")
		return
	}
	now := time.Now()
	claims, err := standardClaims{
		Issuer: p.URL, Subject: g.user.Subject, Audience: p.ClientID,
		IssuedAt: now.Unix(), Expiry: now.Add(5 * time.Minute).Unix(), Nonce: g.nonce,
		Email: g.user.Email, EmailVerified: g.user.EmailVerified, Name: g.user.Name,
	}.claims()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	claims[p.GroupsClaim] = g.user.Groups
	if p.spoil != nil {
		p.spoil(claims)
	}
	idToken, err := p.sign(claims)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": randomString(), "token_type": "Bearer", "expires_in": 3600, "id_token": idToken,
	})
}

// standardClaims are the claims every ID token carries.
type standardClaims struct {
	Issuer        string `json:"iss"`
	Subject       string `json:"sub"`
	Audience      string `json:"aud"`
	IssuedAt      int64  `json:"iat"`
	Expiry        int64  `json:"exp"`
	Nonce         string `json:"nonce,omitempty"`
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name,omitempty"`
}

func (c standardClaims) claims() (Claims, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var out Claims
	return out, json.Unmarshal(b, &out)
}

// sign makes a compact JWS (RS256) of the claims with the provider's key.
func (p *Provider) sign(c Claims) (string, error) {
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: p.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", p.keyID))
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	out, err := jws.CompactSerialize()
	if err != nil || !p.breakSig {
		return out, err
	}
	// Flip one bit of the signature: the same header and claims, a
	// signature that no longer matches them.
	parts := strings.Split(out, ".")
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "", err
	}
	sig[len(sig)/2] ^= 0x01
	parts[2] = base64.RawURLEncoding.EncodeToString(sig)
	return strings.Join(parts, "."), nil
}

func randomString() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
