package console

import (
	"strings"
	"testing"
)

func TestInjectBackLink(t *testing.T) {
	page := []byte(`<!doctype html><html><head><title>River</title></head><body class="h-full"><div id="root"></div></body></html>`)
	got := string(injectBackLink(page, "Back <to> the console"))
	i := strings.Index(got, `<body class="h-full">`)
	link := strings.Index(got, `<a class="jobs-back" href="/console" data-testid="jobs-back">Back &lt;to&gt; the console</a>`)
	root := strings.Index(got, `<div id="root">`)
	if i < 0 || link < i || root < link {
		t.Fatalf("the link is not first in the body:\n%s", got)
	}
	if !strings.Contains(got, `rel="stylesheet"`) {
		t.Fatalf("no stylesheet for the link:\n%s", got)
	}
	if other := string(injectBackLink([]byte(`{"jobs":[]}`), "x")); other != `{"jobs":[]}` {
		t.Fatalf("a page without a body was changed: %s", other)
	}
}
