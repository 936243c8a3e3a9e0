# Sigma Lab appliance. `make run` serves the demo data; `make test` is the test suite.

GO       ?= go
BIN      ?= bin/sigmalab
DATA     ?= ./sigmalab-data
ADDR     ?= 127.0.0.1:8001
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
FUZZTIME ?= 30s

# staticcheck pinned to a release that knows this Go version; `make tools` installs it.
STATICCHECK_VERSION ?= v0.8.2
GOBIN_DIR   := $(or $(shell $(GO) env GOBIN),$(shell $(GO) env GOPATH)/bin)
STATICCHECK ?= $(GOBIN_DIR)/staticcheck

.PHONY: all run build test bench bench-all bench-api lint tools fuzz e2e kill-soak clean

all: lint test build

## build: static binary (CGO_ENABLED=0) with the version stamped in
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) .

## run: build and serve on $(DATA) (created and seeded with demo data when empty)
run: build
	$(BIN) serve --data $(DATA) --addr $(ADDR)

## test: the whole test suite (what CI runs)
test:
	$(GO) test ./...

## bench: one table of the SPEC §9 figures, ours vs the reference in the same run, with targets
## (GBDT vs XGBoost, indicators vs pandas, backtest, sweep, 0DTE build, API vs FastAPI; SKIP_API=1 skips the API)
bench:
	GO=$(GO) bench/summary.sh

## bench-all: every Go benchmark, with allocations
bench-all:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## bench-api: SPEC §9 API targets on the built binary over TCP with 100k stored runs (wrk, start time, idle RSS)
## against a FastAPI/uvicorn reference in the same run; needs wrk, python3-fastapi, python3-uvicorn
bench-api: build
	BIN=$(BIN) GO=$(GO) bench/api.sh

## lint: formatting, vet, staticcheck, and go.mod/go.sum in step with the imports
lint: $(STATICCHECK)
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	$(GO) mod tidy -diff

## tools: install the pinned staticcheck
tools:
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## fuzz: run every fuzz target in the repository (each `func FuzzX` in a _test.go) for $(FUZZTIME)
fuzz:
	@grep -rn --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*(' . | sort | while IFS=: read -r file _ decl; do \
		name=$${decl#func }; name=$${name%%(*}; dir=$$(dirname "$$file"); \
		echo "== $$name ($$dir)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "$$dir/" || exit 1; \
	done

## e2e: build the binary and drive it over HTTP (also part of `make test`; `go test -short` skips it)
e2e:
	$(GO) test -count=1 ./e2e/...

## kill-soak: kill -9 the binary 24 times at seeded random moments during builds, trainings, imports
## and sweeps; after each restart no completed run is lost, none is left running, no import half-visible
## (`go test ./e2e/` runs a 6-kill variant)
kill-soak:
	SIGMA_KILL_SOAK=1 $(GO) test -count=1 -run '^TestKill9Consistency$$' -v ./e2e/

clean:
	rm -rf bin
