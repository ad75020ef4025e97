# Every target runs from a fresh clone: Go 1.26 and PostgreSQL server
# binaries (or DATABASE_URL / TEST_DATABASE_URL) are all it needs.
.DEFAULT_GOAL := help
GO ?= go

.PHONY: bench-scale soak fuzz help run run-gateway test conformance e2e generate templ css api lint fmt migrate bench dev clean-db rename docker

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: ## Run the whole product: local Postgres + Clerk emulator + app on :8080
	$(GO) run ./cmd/dev

# Beside `make run` (in another terminal): same database, same emulator.
run-gateway: ## Run the API gateway on :8090 and examples/notifications on :9301 beside make run
	GO=$(GO) $(GO) run ./cmd/dev gateway

# The short fuzz runs go alongside the tests (their output is printed after
# the tests'): the suite's tail leaves a core idle. -trimpath lets the
# rename, scaffold and fault tests' builds reuse this build's cache.
test: ## Run every test (unit, Postgres integration, emulator, browser) with -race, and short fuzz runs
	@echo "$(GO) test -race -trimpath -count=1 -timeout 20m ./...  (and make fuzz FUZZTIME=10000x alongside)"; \
	fuzzlog=$$(mktemp); \
	$(MAKE) --no-print-directory fuzz FUZZTIME=10000x FUZZMINIMIZETIME=200x > $$fuzzlog 2>&1 & fuzz=$$!; \
	status=0; $(GO) test -race -trimpath -count=1 -timeout 20m ./... || status=$$?; \
	wait $$fuzz || status=1; cat $$fuzzlog; rm -f $$fuzzlog; \
	if [ $$status -ne 0 ]; then echo "make test: FAILED"; fi; exit $$status

# Fuzz targets as package:Name; seeds live in each package's testdata/fuzz.
# A target may name its own count as package:Name:count, the most it runs
# when FUZZTIME is a count: each input of the webhook target is a Postgres
# transaction.
FUZZ_TARGETS = ./handlers:FuzzWebhookSignedBodies:3000x ./handlers:FuzzProjectForm ./handlers:FuzzOrgForm \
	./handlers:FuzzTaskTitle ./models:FuzzDecodeCursor ./middleware:FuzzSafeReturnPath \
	./middleware:FuzzAuthHeaderAndCookies ./clerkauth:FuzzVerifyAndHandshake
# A count (10000x) rather than a duration in `make test`: Go 1.26's fuzz
# coordinator can fail a clean run with "context deadline exceeded" when a
# duration ends under load (golang/go#75804, fixed in Go 1.27).
FUZZTIME ?= 30s
# Minimising a new input runs it many times; the webhook target's inputs
# each write to Postgres, so `make test` bounds it by count.
FUZZMINIMIZETIME ?= 60s

fuzz: ## Run every fuzz target for FUZZTIME (default 30s) each
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; rest=$${t#*:}; name=$${rest%%:*}; count=""; \
		case "$$rest" in *:*) count=$${rest#*:};; esac; fuzztime=$(FUZZTIME); \
		case "$$fuzztime" in *x) [ -n "$$count" ] && [ "$${count%x}" -lt "$${fuzztime%x}" ] && fuzztime=$$count;; esac; \
		echo "fuzz $$name ($$pkg, $$fuzztime)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $$fuzztime -fuzzminimizetime $(FUZZMINIMIZETIME) $$pkg; \
	done

# The emulator held to Clerk's own JS SDK (conformance/README.md): a fresh
# emulator per test file, or the real Clerk development instance named by
# CLERK_SECRET_KEY. Needs Node >= 20.9 and npm; `make test` needs neither.
conformance: ## Check the Clerk emulator with Clerk's JS SDK (@clerk/backend, svix); needs Node >= 20.9
	@node -e 'const [a, b] = process.versions.node.split(".").map(Number); if (a < 20 || (a === 20 && b < 9)) { console.error("make conformance: Node " + process.version + " is too old; @clerk/backend 3.25.0 needs >= 20.9"); process.exit(1) }' \
		|| { command -v node >/dev/null || echo "make conformance: needs Node >= 20.9 and npm"; exit 1; }
	$(GO) build -o bin/clerkdev ./cmd/clerkdev
	@cd conformance && if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
		echo "npm ci (conformance/)"; npm ci --no-audit --no-fund --loglevel=error; fi
	cd conformance && CLERKDEV_BIN=$(CURDIR)/bin/clerkdev npm test --silent

e2e: ## Run only the browser end-to-end tests
	$(GO) test -race -count=1 -timeout 10m ./e2e/...

generate: templ css api ## Regenerate templ views, the CSS and the API client

templ: ## Regenerate views/*_templ.go
	$(GO) tool templ generate -path views

api: ## Regenerate api/client/client.gen.go from api/openapi.yaml (oapi-codegen)
	cd api && $(GO) tool oapi-codegen -config oapi-codegen.yaml openapi.yaml

css: ## Build static/css/app.css with Tailwind's CLI (needs Node and npm), then the static files' .gz and .br
	npm install --no-audit --no-fund --silent
	npx tailwindcss -i static/css/input.css -o static/css/app.css --minify
	$(GO) generate ./static

lint: ## go vet, gofmt and templ fmt
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '_templ.go$$'))" || (gofmt -l $$(git ls-files '*.go' | grep -v '_templ.go$$'); echo "gofmt needed"; exit 1)
	$(GO) tool templ fmt -fail views

fmt: ## Format Go and templ files
	gofmt -w $$(git ls-files '*.go' | grep -v '_templ.go$$')
	$(GO) tool templ fmt views

migrate: ## Apply migrations to DATABASE_URL (go run . migrate up|down|status)
	$(GO) run . migrate up

dev: ## Live reload: templ watches views and proxies the app
	$(GO) tool templ generate -path views --watch --proxy="http://localhost:8080" --cmd="$(GO) run ./cmd/dev"

bench: ## Go benchmarks of the hot paths, then the budget run against a bare Go baseline (docs/performance.md)
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) run ./bench $(BENCH_FLAGS)

bench-scale: ## Tenant list latency: 10,000 organizations x 100 projects vs 1 (docs/performance.md)
	$(GO) run ./bench -scale $(BENCH_FLAGS)

clean-db: ## Stop and delete the project-local Postgres cluster
	-$(GO) run ./cmd/dev stop-db
	rm -rf .data

soak: ## Soak: 5 min of mixed traffic; fails on any error or goroutine/heap growth (SOAK_FLAGS="-duration 60s")
	$(GO) run ./cmd/soak $(SOAK_FLAGS)

rename: ## Rename the Go module: make rename MODULE=example.com/acme/app
	@test -n "$(MODULE)" || (echo "usage: make rename MODULE=example.com/acme/app"; exit 2)
	$(GO) run ./cmd/rename $(MODULE)

.PHONY: resource
resource: ## Scaffold a tenant resource: make resource NAME=invoice FIELDS="number:string amount:int due:date"
	@test -n "$(NAME)" || (echo 'usage: make resource NAME=invoice FIELDS="number:string amount:int due:date"'; exit 2)
	$(GO) run ./cmd/resource -name $(NAME) -fields "$(FIELDS)"

docker: ## Build the production image (needs a Docker engine)
	docker build -t saas-starter .
