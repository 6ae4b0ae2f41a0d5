package smartcar

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/oauth2"
)

// RefreshLifetime is how long a v2 refresh token lives after it is issued.
const RefreshLifetime = 60 * 24 * time.Hour

// appTokenLifetime is assumed when the IAM answer carries no expires_in.
const appTokenLifetime = time.Hour

// Token is a v2 user token pair. Persist every pair at once: the previous
// refresh token stops working minutes after it is used.
type Token struct {
	AccessToken  string
	RefreshToken string
	Expiry       time.Time // of the access token
	// RefreshExpiry is computed locally because the token response has no
	// field for it.
	RefreshExpiry time.Time
}

// NeedsRefresh reports whether the access token expires within margin of
// now. An unknown expiry counts as expired.
func NeedsRefresh(tok Token, now time.Time, margin time.Duration) bool {
	return tok.Expiry.IsZero() || !now.Add(margin).Before(tok.Expiry)
}

// ExchangeCode trades a Connect code for a token pair.
func (c *Client) ExchangeCode(ctx context.Context, code string) (Token, error) {
	tok, err := c.oauth.Exchange(c.oauthContext(ctx), code)
	if err != nil {
		return Token{}, tokenError("exchange code", err)
	}
	return c.userToken(tok), nil
}

// Refresh trades a refresh token for a new pair.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (Token, error) {
	if refreshToken == "" {
		return Token{}, errors.New("smartcar: refresh: empty refresh token")
	}
	tok, err := c.oauth.TokenSource(c.oauthContext(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return Token{}, tokenError("refresh", err)
	}
	return c.userToken(tok), nil
}

// AppToken returns the v3 application token, fetched with client
// credentials and cached until a minute before it expires.
func (c *Client) AppToken(ctx context.Context) (string, error) {
	// Holding the lock across the fetch makes concurrent callers share one
	// request instead of stampeding the IAM endpoint.
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.cfg.Now()
	if c.appTok != "" && now.Before(c.appExp.Add(-time.Minute)) {
		return c.appTok, nil
	}
	tok, err := c.app.Token(c.oauthContext(ctx))
	if err != nil {
		return "", tokenError("app token", err)
	}
	c.appTok, c.appExp = tok.AccessToken, c.expiry(tok, now, appTokenLifetime)
	return c.appTok, nil
}

// forgetAppToken drops a token the API refused, so the next call fetches a new one.
func (c *Client) forgetAppToken(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.appTok == tok {
		c.appTok = ""
	}
}

func (c *Client) oauthContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, c.cfg.HTTPClient)
}

func (c *Client) userToken(tok *oauth2.Token) Token {
	now := c.cfg.Now()
	return Token{
		AccessToken:   tok.AccessToken,
		RefreshToken:  tok.RefreshToken,
		Expiry:        c.expiry(tok, now, 0),
		RefreshExpiry: now.Add(RefreshLifetime),
	}
}

// expiry prefers expires_in against our clock: x/oauth2 computes Expiry
// from the wall clock, which a test or simulator clock cannot move.
func (c *Client) expiry(tok *oauth2.Token, now time.Time, fallback time.Duration) time.Time {
	in := tok.ExpiresIn
	if in == 0 {
		// clientcredentials drops ExpiresIn; the raw field survives in Extra.
		switch v := tok.Extra("expires_in").(type) {
		case float64:
			in = int64(v)
		case string:
			in, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	switch {
	case in > 0:
		return now.Add(time.Duration(in) * time.Second)
	case !tok.Expiry.IsZero():
		return tok.Expiry
	case fallback > 0:
		return now.Add(fallback)
	}
	return time.Time{}
}

// tokenError turns a token endpoint failure into *Error so the classifier
// sees invalid_grant and friends.
func tokenError(op string, err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return fmt.Errorf("smartcar: %s: %w", op, err)
	}
	status, header := 0, http.Header(nil)
	if re.Response != nil {
		status, header = re.Response.StatusCode, re.Response.Header
	}
	e := DecodeError(status, header, re.Body)
	if e.Type == TypeUnknown && re.ErrorCode != "" {
		e.Type, e.Description = re.ErrorCode, re.ErrorDescription
	}
	return e
}
