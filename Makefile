# Switchboard: `make run` starts the assistant, `make test` runs every test.
# Both install what is missing first. `make help` lists every target.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# schemathesis lives apart: its pins clash with Rasa's (requirements-schemathesis.lock).
SCHEMATHESIS_VENV := .venv-schemathesis
SCHEMATHESIS := $(SCHEMATHESIS_VENV)/.installed
MODEL := models/switchboard.tar.gz
TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null)
# The web chat widget (npm rasa-webchat), pinned by version and the registry's integrity.
WEBCHAT := var/webchat/rasa-webchat.js
WEBCHAT_PACKAGE := rasa-webchat@1.0.1
WEBCHAT_INTEGRITY := sha512-Ld1zVJvTAaTrs6A5p8t70agNNrKYRyXlvqXZRgBoDvKKUXbA0jhJKECi5bdPGlaR6jsmqWtVylHS+YqIqo0x8w==
# The dashboard's chart library (npm chart.js, MIT), pinned by version, the registry's
# integrity of the package and the sha256 of the one file the desk serves and reports inline.
CHARTJS := var/chartjs/chart.umd.min.js
CHARTJS_PACKAGE := chart.js@4.5.1
CHARTJS_INTEGRITY := sha512-GIjfiT9dbmHRiYi6Nl2yFCq7kkwdkp1W/lp2J99rX0yo9tgJGn3lKQATztIjb5tVtevcBtIdICNWqlq5+E8/Pw==
CHARTJS_SHA256 := 48444a82d4edcb5bec0f1965faacdde18d9c17db3063d042abada2f705c9f54a

# Rasa sends no telemetry or crash reports from any target (nothing leaves the machine).
export RASA_TELEMETRY_ENABLED := false

.DEFAULT_GOAL := help
.PHONY: help install schemathesis browser servers webchat chartjs report simulate bench-analytics bench-language train run run-scaled shell lint fix test validate bench-latency bench-escalation bench-nlu bench-training bench-load bench-soak bench-fuzz bench-hostile bench-memory desk-admin verify-audit release rollback clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(INSTALLED): requirements.lock
	$(PYTHON) -m venv $(VENV)
	# Rasa 3.6 declares Python <3.11: install the verified lock without resolving.
	$(BIN)/pip install --quiet --no-deps --ignore-requires-python -r requirements.lock
	touch $@

install: $(INSTALLED) ## Create .venv and install the pinned lock

$(SCHEMATHESIS): requirements-schemathesis.lock
	$(PYTHON) -m venv $(SCHEMATHESIS_VENV)
	$(SCHEMATHESIS_VENV)/bin/pip install --quiet --no-deps -r requirements-schemathesis.lock
	touch $@

schemathesis: $(SCHEMATHESIS) ## Install schemathesis (its own .venv-schemathesis) for the OpenAPI tests

# The page tests drive Debian's chromium through Playwright (which cannot fetch its own).
CHROMIUM := /usr/bin/chromium
browser: ## Install Debian's chromium for the headless page tests, if missing
	@test -x $(CHROMIUM) || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update && $$SUDO apt-get install -y chromium; }

# The scale-out tests and `make run-scaled` start Debian's redis-server, PostgreSQL,
# RabbitMQ and HAProxy themselves (stack/servers.py); deploy/ is checked with haproxy -c
# and docker-compose config.
SERVERS := /usr/bin/redis-server /usr/sbin/haproxy /usr/bin/docker-compose /usr/bin/pg_ctlcluster /usr/lib/rabbitmq/bin/rabbitmq-server
SERVER_PACKAGES := redis-server haproxy docker-compose postgresql rabbitmq-server
servers: ## Install Debian's redis-server, haproxy, postgresql, rabbitmq-server and docker-compose, if missing
	@for f in $(SERVERS); do test -x $$f || missing=1; done; [ -z "$$missing" ] || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update && $$SUDO apt-get install -y $(SERVER_PACKAGES); }

$(WEBCHAT):
	rm -rf var/webchat/pack && mkdir -p var/webchat/pack
	cd var/webchat/pack && npm pack --silent $(WEBCHAT_PACKAGE) > /dev/null
	test "sha512-$$(openssl dgst -sha512 -binary var/webchat/pack/*.tgz | base64 -w0)" = "$(WEBCHAT_INTEGRITY)"
	tar xzf var/webchat/pack/*.tgz -O package/lib/index.js > $@.tmp && mv $@.tmp $@
	rm -rf var/webchat/pack

webchat: $(WEBCHAT) ## Fetch the pinned web chat widget (npm rasa-webchat)

$(CHARTJS):
	rm -rf var/chartjs/pack && mkdir -p var/chartjs/pack
	cd var/chartjs/pack && npm pack --silent $(CHARTJS_PACKAGE) > /dev/null
	test "sha512-$$(openssl dgst -sha512 -binary var/chartjs/pack/*.tgz | base64 -w0)" = "$(CHARTJS_INTEGRITY)"
	tar xzf var/chartjs/pack/*.tgz -O package/dist/chart.umd.min.js > $@.tmp
	test "$$(sha256sum < $@.tmp | cut -d' ' -f1)" = "$(CHARTJS_SHA256)"
	mv $@.tmp $@ && rm -rf var/chartjs/pack

chartjs: $(CHARTJS) ## Fetch the pinned chart library of the supervisors' dashboard (npm chart.js)

$(MODEL): $(INSTALLED) $(TRAINING_INPUTS)
	$(BIN)/rasa train --augmentation 0 --skip-validation --fixed-model-name switchboard --out models
	touch $@

train: $(MODEL) ## Train the model when data, domain or config changed

validate: $(INSTALLED) ## Check data and domain for mistakes
	$(BIN)/rasa data validate --fail-on-warnings

run: $(MODEL) $(WEBCHAT) $(CHARTJS) ## Start backend, action server and Rasa (Ctrl-C stops all)
	$(BIN)/python -m stack run

run-scaled: $(MODEL) $(WEBCHAT) $(CHARTJS) servers ## The scaled profile: PostgreSQL, Redis, RabbitMQ, HAProxy, N Rasa processes (Ctrl-C stops all)
	$(BIN)/python -m stack.scaled

shell: $(MODEL) ## Talk to the assistant in the terminal
	$(BIN)/python -m stack shell

lint: $(INSTALLED) ## Lint and format check (ruff) and type-check (mypy); settings in pyproject.toml
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Python 3.11 evaluates `X | None` and builtin generics at run time, so the typing rewrites
# ruff calls unsafe (for older Pythons) are safe here.
fix: $(INSTALLED) ## Apply ruff's fixes and format the code
	$(BIN)/ruff check --fix --unsafe-fixes .
	$(BIN)/ruff format .

test: lint $(MODEL) browser servers $(WEBCHAT) $(CHARTJS) $(SCHEMATHESIS) ## Run every test: lint, unit, backend, conversations, rasa test
	# rasa data validate, rasa test (stories, each language's held-out NLU) run in
	# tests/release/test_gate.py, whose release gate reports are kept in var/results/release/.
	$(BIN)/python -m pytest tests -q --durations=30

bench-latency: $(MODEL) ## Latency of a backend-calling turn over REST (p50/p95 over 100 turns)
	$(BIN)/python -m bench.turn_latency --turns 100

bench-escalation: $(INSTALLED) ## Precision/recall of the escalate decision on the labelled set
	$(BIN)/python -m bench.escalation

bench-nlu: $(INSTALLED) ## The NLU pipeline on BANKING77 and CLINC150
	$(BIN)/python -m bench.nlu --dataset all

bench-training: $(INSTALLED) ## Full and incremental training time of the assistant
	$(BIN)/python -m bench.training

bench-load: $(MODEL) servers ## 20 concurrent conversations: stock rasa init bot, the stack, the scaled profile with 1, 2, N Rasa processes
	$(BIN)/python -m bench.load

bench-soak: $(MODEL) servers ## 200 conversations x 50 messages on the scaled profile, a Rasa process killed and PostgreSQL stopped 30 s: 0 turns lost
	$(BIN)/python -m bench.soak

desk-admin: $(INSTALLED) ## Create a desk admin account: make desk-admin NAME=<name> (prints a generated password)
	$(BIN)/python -m desk create-admin $(NAME) </dev/null

verify-audit: $(INSTALLED) ## Check the desk's audit log hash chain (DESK_DATABASE_URL); names the first broken entry
	$(BIN)/python -m desk verify-audit

release: $(MODEL) ## Gate the trained model (release.yml) and promote it as the next numbered release
	$(BIN)/python -m release gate --model $(MODEL)

rollback: $(INSTALLED) ## Put the release the current one replaced back in service
	$(BIN)/python -m release rollback

bench-fuzz: $(MODEL) $(WEBCHAT) ## 1,000 fuzz cases per entry point of the whole stack: 0 answers of 5xx
	$(BIN)/python -m bench.fuzz --cases 1000

bench-hostile: $(MODEL) $(WEBCHAT) ## Normal REST traffic's p99 alone and beside hostile messages
	$(BIN)/python -m bench.hostile

bench-memory: $(MODEL) ## The memory's added latency per turn, and event-to-conversation p95
	$(BIN)/python -m bench.memory

report: $(INSTALLED) $(CHARTJS) ## The outcome figures and plots as one self-contained HTML file (REPORT=var/report.html)
	$(BIN)/python -m analytics.report --out $(or $(REPORT),var/report.html)

bench-language: $(INSTALLED) ## Language detection on 400 short messages with the conversation's language (target 98 %)
	$(BIN)/python -m bench.language

simulate: $(MODEL) $(CHARTJS) ## A simulated week of traffic on its own stack: the dashboard's and report's figures against the ground truth
	$(BIN)/python -m bench.simulate

bench-analytics: $(INSTALLED) ## Ingest 100,000 broker events: events per second and a month's dashboard query time
	$(BIN)/python -m bench.analytics

clean: ## Remove the model, databases and logs (keeps .venv)
	rm -rf models/*.tar.gz var results
