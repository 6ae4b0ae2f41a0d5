package probe

import (
	"context"
	"testing"
)

func TestOnlyMarkedContextsAreProbes(t *testing.T) {
	ctx := context.Background()
	if Is(ctx) {
		t.Fatal("a plain context is not a probe")
	}
	if !Is(With(ctx)) {
		t.Fatal("a marked context is a probe")
	}
	type other struct{}
	if !Is(context.WithValue(With(ctx), other{}, 1)) {
		t.Fatal("a context derived from a probe's is a probe's")
	}
}
