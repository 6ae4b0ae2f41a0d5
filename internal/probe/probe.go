// Package probe marks a request that asks what an answer would be without
// causing it: HTTP HEAD, which uptime monitors, load balancers, link
// checkers and mail gateways send. Such a request runs the GET handler so
// the answer is the same, and everything that records, counts or consumes
// asks Is first and does nothing.
package probe

import "context"

type key struct{}

// With marks ctx as a probe's.
func With(ctx context.Context) context.Context { return context.WithValue(ctx, key{}, true) }

// Is reports whether ctx belongs to a probe: look, but change nothing.
func Is(ctx context.Context) bool {
	v, _ := ctx.Value(key{}).(bool)
	return v
}
