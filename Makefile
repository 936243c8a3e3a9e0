# Sigma Lab appliance. `make run` serves the demo data; `make test` is the test suite.

GO       ?= go
BIN      ?= bin/sigmalab
DATA     ?= ./sigmalab-data
ADDR     ?= 127.0.0.1:8001
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
FUZZTIME ?= 30s

.PHONY: all run build test bench bench-api lint fuzz e2e kill-soak clean

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

## bench: every benchmark, with allocations
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## bench-api: SPEC §9 API targets on the built binary over TCP with 100k stored runs (wrk, start time, idle RSS)
## against a FastAPI/uvicorn reference in the same run; needs wrk, python3-fastapi, python3-uvicorn
bench-api: build
	BIN=$(BIN) GO=$(GO) bench/api.sh

## lint: formatting and vet
lint:
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## fuzz: run each fuzz target for $(FUZZTIME)
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzCreateModel$$' -fuzztime $(FUZZTIME) ./httpapi/
	$(GO) test -run '^$$' -fuzz '^FuzzQuery$$' -fuzztime $(FUZZTIME) ./httpapi/

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
