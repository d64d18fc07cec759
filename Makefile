# Cairn build. GOTOOLCHAIN pins the Go release that carries the net/http and
# x509 security fixes; go.mod keeps `go 1.26` so plain `go test ./...` works.
export GOTOOLCHAIN := go1.27.3

GO      ?= go
PKGS    ?= ./...
FUZZTIME ?= 10s

# The vulnerability database comes from the module proxy (the only network
# CI has); bump the pseudo-version to refresh it.
VULNDB_VERSION ?= v0.0.0-20261105234957-e22db6528018
GOVULNCHECK    ?= golang.org/x/vuln/cmd/govulncheck@v1.9.0
STATICCHECK    ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

# Packages with concurrency (servers, stores, caches): CI runs them under -race.
RACE_DIRS ?= schemas issuer registry internal/trust internal/server internal/store internal/bbs wallet verifier stack
RACE_PKGS ?= $(foreach d,$(RACE_DIRS),$(if $(wildcard $(d)),./$(d)/...))

.PHONY: build up test pg-notice test-go test-race interop-deps bench bench-smoke load fuzz lint staticcheck vulncheck demo docs clean

build:
	$(GO) build -o bin/cairn ./cmd/cairn

## up: build cairn and run every service in one process (cairn up) until Ctrl-C.
## UP_FLAGS passes flags, e.g. make up UP_FLAGS='--addr 127.0.0.1:9090 --data /tmp/cairn'.
UP_FLAGS ?=
up: build
	./bin/cairn up $(UP_FLAGS)

# The PostgreSQL store tests run against CAIRN_TEST_POSTGRES (a database
# they may create schemas in; .ci/run sets one up); without it they skip.
export CAIRN_TEST_POSTGRES

## test: every Go test, including the interop tests against sd-jwt-js (npm deps installed first).
test: interop-deps pg-notice
	CAIRN_INTEROP=required CAIRN_TEST_POSTGRES="$$CAIRN_TEST_POSTGRES" $(GO) test -count=1 $(PKGS)

pg-notice:
	@test -n "$$CAIRN_TEST_POSTGRES" || echo "note: CAIRN_TEST_POSTGRES is not set: the PostgreSQL store tests are skipped (CI=true fails them instead; see .ci/run)"

test-go:
	$(GO) test $(PKGS)

## test-race: the packages with concurrency under the race detector.
test-race: pg-notice
	$(GO) test -race -count=1 $(RACE_PKGS)

interop-deps:
	cd interop/sdjwtjs && npm ci --no-audit --no-fund --loglevel=error
	cd interop/oid4vci && npm ci --no-audit --no-fund --loglevel=error
	cd interop/oid4vp && npm ci --no-audit --no-fund --loglevel=error
	cd interop/bbs && npm ci --no-audit --no-fund --loglevel=error

## bench: benchmarks with allocation counts, several runs for benchstat.
bench:
	$(GO) test -run='^$$' -bench=. -benchmem -count=5 ./internal/sdjwt ./internal/sdjwtvc ./internal/statuslist ./internal/bbs

## load: the bounded load test (issue 13): issuance and direct_post verification against
## one instance on bbolt and two on PostgreSQL (CAIRN_TEST_POSTGRES) behind a round-robin
## proxy; prints ops/s, p50, p99 and the ratio. LOAD_DURATION per scenario, LOAD_WORKERS.
LOAD_DURATION ?= 10s
LOAD_WORKERS  ?= 8
load:
	CAIRN_LOAD=1 CAIRN_LOAD_DURATION=$(LOAD_DURATION) CAIRN_LOAD_WORKERS=$(LOAD_WORKERS) $(GO) test -count=1 -timeout 20m -run '^TestLoad$$' -v ./cmd/cairn

## bench-smoke: every benchmark once, so none rots unnoticed (CI runs it).
bench-smoke:
	$(GO) test -run='^$$' -bench=. -benchtime=1x $(PKGS)

## fuzz: a short pass over every fuzz target (FUZZTIME each).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list='^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$t"; $(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; done

lint:
	@test -z "$$(gofmt -l .)" || (gofmt -l . && echo 'gofmt needed' && exit 1)
	$(GO) vet $(PKGS)

## staticcheck: pinned staticcheck; any finding fails.
staticcheck:
	$(GO) run $(STATICCHECK) $(PKGS)

## vulncheck: govulncheck against an offline database built from golang.org/x/vulndb.
vulncheck:
	@set -e; osv=$$(cd "$${TMPDIR:-/tmp}" && $(GO) mod download -json golang.org/x/vulndb@$(VULNDB_VERSION) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p'); \
	test -d "$$osv/data/osv" || { echo "vulndb not downloaded"; exit 1; }; \
	db=$$(mktemp -d); trap 'rm -rf "$$db"' EXIT; \
	$(GO) run ./tools/vulndb -osv "$$osv/data/osv" -out "$$db"; \
	$(GO) run $(GOVULNCHECK) -db "file://$$db" ./...

## demo: the end-to-end flow on this machine: keys, issue, present, verify.
demo: build
	./examples/quickstart.sh

## docs: regenerate docs/cli.md from the command tree (a test fails when it is stale).
docs:
	$(GO) test ./cmd/cairn -run TestCLIReferenceUpToDate -update

clean:
	rm -rf bin
