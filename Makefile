# The two commands: `make run` (serve the portal) and `make test` (run the suite).
# Both set everything up on a fresh machine with Python 3.11: the virtual environment in
# .venv/, the locked dependencies with the dev tools (requirements-dev.lock), a local .env,
# the database.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_SUBJECTS ?= 200

.PHONY: run test lint format check migrate worker beat lock clean

$(INSTALLED): requirements-dev.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	@touch $@

.env:
	cp .env.example .env

run: $(INSTALLED) .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --subjects $(DEMO_SUBJECTS) --if-empty
	@echo
	@echo "  Privacy centre:  http://$(HOST):$(PORT)/"
	@echo "  Staff admin:     http://$(HOST):$(PORT)/admin/"
	@echo "  Demo staff:      staff@demo.example / velux-demo-staff, then the TOTP code (secret above)"
	@echo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(INSTALLED) .env
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: lint .env
	$(BIN)/python manage.py makemigrations --check --dry-run

migrate: $(INSTALLED) .env
	$(BIN)/python manage.py migrate --noinput

worker: $(INSTALLED) .env
	$(BIN)/celery -A velux_privacy worker -Q default,exports,retention --loglevel INFO

beat: $(INSTALLED) .env
	$(BIN)/celery -A velux_privacy beat --loglevel INFO

# Re-resolve the dependencies of pyproject.toml into the two hashed locks (needs network):
# requirements.lock, the runtime only (the Docker image), and requirements-dev.lock, the
# runtime and the dev group (make test, make lint).
lock: $(INSTALLED)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 \
		--universal --quiet -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --group dev --generate-hashes --python-version 3.11 \
		--universal --quiet -o requirements-dev.lock
	$(BIN)/python -m pip uninstall --quiet --yes uv

clean:
	rm -rf $(VENV) staticfiles
