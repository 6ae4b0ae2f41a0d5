package smartcarsim

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// TokenInfo is a v2 token pair as the token endpoint returns it.
type TokenInfo struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

func equalSecret(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// basicMatches accepts Basic credentials both as sent by the Node SDK (raw)
// and as sent by golang.org/x/oauth2, which form-encodes each half before
// Base64 as RFC 6749 §2.3.1 asks.
func basicMatches(r *http.Request, id, secret string) bool {
	gotID, gotSecret, ok := r.BasicAuth()
	if !ok || id == "" {
		return false
	}
	if equalSecret(gotID, id) && equalSecret(gotSecret, secret) {
		return true
	}
	uid, err1 := url.QueryUnescape(gotID)
	usecret, err2 := url.QueryUnescape(gotSecret)
	return err1 == nil && err2 == nil && equalSecret(uid, id) && equalSecret(usecret, secret)
}

func mediaType(r *http.Request) string {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt
}

// tokenV2 is auth.smartcar.com/oauth/token: the per-user code and refresh
// grants.
func (s *Sim) tokenV2(w http.ResponseWriter, r *http.Request) {
	if !basicMatches(r, s.cfg.ClientID, s.cfg.ClientSecret) {
		w.Header().Set("WWW-Authenticate", `Basic realm="smartcar"`)
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "Invalid client credentials.")
		return
	}
	if mediaType(r) != "application/x-www-form-urlencoded" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "The request body must be application/x-www-form-urlencoded.")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "The request body could not be parsed.")
		return
	}
	// PostForm, not Form: the query carries only the optional flags.
	form := r.PostForm
	switch gt := form.Get("grant_type"); gt {
	case "authorization_code":
		s.exchangeCode(w, form)
	case "refresh_token":
		s.exchangeRefresh(w, form)
	case "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", `Missing required parameter: "grant_type".`)
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant_type: "+gt)
	}
}

func (s *Sim) exchangeCode(w http.ResponseWriter, form url.Values) {
	codeValue := form.Get("code")
	if codeValue == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", `Missing required parameter: "code".`)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	c := s.codes[codeValue]
	if c == nil || c.used || !now.Before(c.expiresAt) {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "Invalid or expired authorization code.")
		return
	}
	given := form.Get("redirect_uri")
	want := c.redirectURI
	if want == "" && given != "" && len(s.cfg.RedirectURIs) > 0 {
		// Connect used the registered default; naming it explicitly is fine.
		want = s.cfg.RedirectURIs[0]
	}
	if given != want {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "Unauthorized redirect_uri: "+given)
		return
	}
	if blocked := s.blockedMakesLocked(c.vehicleIDs); blocked != "" {
		writeOAuthError(w, http.StatusBadRequest, "unauthorized_client", "Application not authorized to requested make(s): "+blocked)
		return
	}
	c.used = true
	writeJSON(w, http.StatusOK, s.issuePairLocked(c.userID, c.vehicleIDs))
}

func (s *Sim) exchangeRefresh(w http.ResponseWriter, form url.Values) {
	value := form.Get("refresh_token")
	if value == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", `Missing required parameter: "refresh_token".`)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	t := s.refresh[value]
	if t == nil || t.revoked || !now.Before(t.expiresAt) || (!t.graceEnds.IsZero() && !now.Before(t.graceEnds)) {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "Invalid or expired token")
		return
	}
	if blocked := s.blockedMakesLocked(t.vehicleIDs); blocked != "" {
		writeOAuthError(w, http.StatusBadRequest, "unauthorized_client", "Application not authorized to requested make(s): "+blocked)
		return
	}
	if t.graceEnds.IsZero() {
		t.graceEnds = now.Add(time.Duration(s.switches.RefreshGrace))
	}
	writeJSON(w, http.StatusOK, s.issuePairLocked(t.userID, t.vehicleIDs))
}

// blockedMakesLocked names the makes among the vehicles that the
// unauthorized_makes switch refuses, comma separated.
func (s *Sim) blockedMakesLocked(vehicleIDs []string) string {
	var blocked []string
	for _, id := range vehicleIDs {
		v := s.vehicles[id]
		if v != nil && slices.Contains(s.switches.UnauthorizedMakes, v.make) && !slices.Contains(blocked, v.make) {
			blocked = append(blocked, v.make)
		}
	}
	return strings.Join(blocked, ",")
}

// issuePairLocked mints a v2 pair. The response has no refresh expiry; the
// 60 days are the client's to remember, as with Smartcar.
func (s *Sim) issuePairLocked(userID string, vehicleIDs []string) TokenInfo {
	now := s.clock.Now()
	at, rt := newID(), newID()
	s.access[at] = &accessToken{userID: userID, vehicleIDs: slices.Clone(vehicleIDs), expiresAt: now.Add(accessTokenLifetime)}
	s.refresh[rt] = &refreshToken{userID: userID, vehicleIDs: slices.Clone(vehicleIDs), expiresAt: now.Add(refreshTokenLifetime)}
	return TokenInfo{AccessToken: at, TokenType: "Bearer", ExpiresIn: int(accessTokenLifetime.Seconds()), RefreshToken: rt}
}

// IssueTokens mints a v2 pair for a seeded owner covering their connected
// vehicles, so a demo can start from "already connected" without a browser.
func (s *Sim) IssueTokens(userID string) (TokenInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		return TokenInfo{}, fmt.Errorf("%w: user %s", ErrNotFound, userID)
	}
	var ids []string
	for _, v := range u.vehicles {
		if s.connByVehicle[v.id] != nil {
			ids = append(ids, v.id)
		}
	}
	if len(ids) == 0 {
		return TokenInfo{}, fmt.Errorf("%w: user %s has no connected vehicle", ErrInvalid, userID)
	}
	return s.issuePairLocked(userID, ids), nil
}

// tokenV3 is iam.smartcar.com/oauth2/token: client_credentials for the
// whole application, form or JSON body.
func (s *Sim) tokenV3(w http.ResponseWriter, r *http.Request) {
	params := map[string]string{}
	switch mediaType(r) {
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", "The request body could not be parsed.")
			return
		}
		for k := range r.PostForm {
			params[k] = r.PostForm.Get(k)
		}
	case "application/json":
		if err := json.NewDecoder(r.Body).Decode(&params); err != nil {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", "The request body is not valid JSON.")
			return
		}
	default:
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "The request body must be form-urlencoded or JSON.")
		return
	}
	switch params["grant_type"] {
	case "client_credentials":
	case "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", `Missing required parameter: "grant_type".`)
		return
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant_type: "+params["grant_type"])
		return
	}
	id, secret := params["client_id"], params["client_secret"]
	if id == "" {
		if u, p, ok := r.BasicAuth(); ok {
			id, _ = url.QueryUnescape(u)
			secret, _ = url.QueryUnescape(p)
		}
	}
	if id == "" || secret == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "client_id and client_secret are required.")
		return
	}
	if s.cfg.APIClientID == "" || !equalSecret(id, s.cfg.APIClientID) || !equalSecret(secret, s.cfg.APIClientSecret) {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "Invalid client credentials.")
		return
	}
	s.mu.Lock()
	now := s.clock.Now()
	for t, exp := range s.appTokens {
		if !now.Before(exp) {
			delete(s.appTokens, t)
		}
	}
	token := newSecret()
	s.appTokens[token] = now.Add(appTokenLifetime)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, TokenInfo{AccessToken: token, TokenType: "Bearer", ExpiresIn: int(appTokenLifetime.Seconds())})
}
