package console

import (
	"net/url"
	"strings"
	"testing"

	"reconnect/internal/store"
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

// An export's trail names the owner by pseudonym, never by what was typed.
func TestExportDetailKeepsNoOwnerAddress(t *testing.T) {
	keep := url.Values{"owner": {"alice@example.com"}, "action": {"owner.viewed"}}
	got := exportDetail(store.AuditFilter{OwnerRefs: []string{"ref-1", "alice@example.com"}}, keep)
	if strings.Contains(got, "alice") || !strings.Contains(got, "owner_refs=ref-1") || !strings.Contains(got, "action=owner.viewed") {
		t.Fatalf("detail %q", got)
	}
	if got := exportDetail(store.AuditFilter{OwnerRefs: []string{"nobody@example.com"}}, url.Values{"owner": {"nobody@example.com"}}); got != "owner_refs=none" {
		t.Fatalf("detail for nobody %q", got)
	}
}
