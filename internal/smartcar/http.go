package smartcar

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// maxBody caps what is read from Smartcar; its largest documented payload is 50 KB.
const maxBody = 1 << 20

// call sends a bodiless request, decodes a 2xx JSON body into out (if not
// nil) and returns the response's SC-Request-Id. Non-2xx answers are *Error.
func (c *Client) call(ctx context.Context, method, rawURL string, header http.Header, out any) (string, error) {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		return "", fmt.Errorf("smartcar: %s %s: %w", method, rawURL, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("smartcar: %s %s: %w", method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return "", fmt.Errorf("smartcar: %s %s: read body: %w", method, req.URL.Path, err)
	}
	reqID := resp.Header.Get("SC-Request-Id")
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return reqID, DecodeError(resp.StatusCode, resp.Header, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return reqID, fmt.Errorf("smartcar: %s %s: decode response (request %s): %w", method, req.URL.Path, reqID, err)
		}
	}
	return reqID, nil
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

// withQuery appends the non-empty values of q to base.
func withQuery(base string, q url.Values) string {
	for k, v := range q {
		if len(v) == 0 || v[0] == "" {
			delete(q, k)
		}
	}
	if len(q) == 0 {
		return base
	}
	return base + "?" + q.Encode()
}

// itoa formats positive paging numbers and leaves zero unset, so Smartcar's defaults apply.
func itoa(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprint(n)
}
