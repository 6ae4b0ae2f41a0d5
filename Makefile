# Reconnect. `make help` lists the targets.
GO ?= go
export CGO_ENABLED ?= 0
# go.mod requires Go 1.26.10 or later; the go command fetches it through the
# module proxy unless told to stay on the installed one, which cannot build us.
ifeq ($(filter-out local,$(GOTOOLCHAIN)),)
export GOTOOLCHAIN := auto
endif

.DEFAULT_GOAL := help

## help: list the targets
.PHONY: help
help:
	@echo "Usage: make <target>"
	@sed -n 's/^## \([^:]*\): */\1\t/p' $(MAKEFILE_LIST) | awk -F'\t' '{ printf "  %-32s %s\n", $$1, $$2 }'

## run: the demo (app on SQLite + Smartcar simulator, seeded) at http://127.0.0.1:8080
.PHONY: run
run:
	$(GO) run ./cmd/reconnect demo

## test: every test this machine can run (PostgreSQL and browser suites skip when absent); RACE=1 adds the race detector
.PHONY: test
test:
	$(GO) test $(TESTFLAGS) -count=1 -timeout 30m ./...

# The race detector needs cgo (and so a C compiler); the build stays pure Go otherwise.
ifeq ($(RACE),1)
test: export CGO_ENABLED = 1
test: TESTFLAGS = -race
endif

## fuzz: run each fuzz target briefly (FUZZTIME=10s)
.PHONY: fuzz
fuzz:
	$(GO) run ./internal/tools/fuzzall -fuzztime $${FUZZTIME:-10s}

## bench: the benchmarks behind docs/benchmarks.md (Go benchmarks, then the webhook load test)
.PHONY: bench
bench: bench/go bench/ingest

## bench/go: the Go benchmarks alone
.PHONY: bench/go
bench/go:
	$(GO) test -run '^$$' -bench . -benchtime 2s -timeout 60m ./...

## bench/ingest: the webhook receiver under load, SQLite and PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL); rewrites its section of docs/benchmarks.md
.PHONY: bench/ingest
bench/ingest: build
	$(GO) run ./internal/tools/loadgen -bin bin/reconnect -out docs/benchmarks.md

## generate: regenerate templ components
.PHONY: generate
generate:
	$(GO) tool templ generate

## lint: gofmt, go vet, a check that generated templ files are up to date, staticcheck, govulncheck (GOVULNDB; skipped with a note when unreachable)
.PHONY: lint
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool templ generate
	@if ! git diff --quiet -- '*_templ.go' || [ -n "$$(git ls-files --others --exclude-standard -- '*_templ.go')" ]; then \
		echo "templ generate changed files: commit the generated code"; git status --short -- '*_templ.go'; exit 1; fi
	$(GO) tool staticcheck ./...
	GO="$(GO)" .ci/govulncheck

## build: the reconnect binary in bin/
.PHONY: build
build:
	$(GO) build -trimpath -o bin/reconnect ./cmd/reconnect

## db/migrations/new name=<name>: a new numbered migration for both dialects
.PHONY: db/migrations/new
db/migrations/new:
	@test -n "$(name)" || (echo "usage: make db/migrations/new name=add_something"; exit 2)
	@n=$$(ls migrations/sqlite | sed -n 's/^\([0-9]*\)_.*/\1/p' | sort -n | tail -1); n=$$(printf '%05d' $$((10#$$n + 1))); \
	for d in sqlite postgres; do printf -- '-- +goose Up\n\n-- +goose Down\n' > migrations/$$d/$${n}_$(name).sql; echo migrations/$$d/$${n}_$(name).sql; done
