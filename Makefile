# Two commands set everything up on a fresh machine with python3 and make:
#   make book   build the HTML into _build/html (strict: any warning fails)
#   make test   the whole test suite, including a full build and a real-browser test
# and `make check` validates data, bibliography and citations without building.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.ready

.PHONY: book test check site bench search serve lock clean

$(READY): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	# Make the engine importable by the venv and by every chapter's kernel (an editable
	# install without needing setuptools in the venv).
	$(BIN)/python -c "import site, sys; open(site.getsitepackages()[0] + '/livingreview-dev.pth', 'w').write(sys.argv[1] + '\n')" "$(CURDIR)"
	# The offline Vega bundle for the installed versions, kept in the environment (see README).
	$(BIN)/python -m livingreview bundle
	touch $@

check: $(READY)
	$(BIN)/python -m livingreview check

book: $(READY)
	$(BIN)/python -m livingreview build

site: $(READY)
	$(BIN)/python -m livingreview site

test: $(READY)
	$(BIN)/python -m pytest

# Build times, page weights and chart times, measured on a temporary copy of the project:
# _build/bench/report.json and report.md (also printed). See README, "Performance".
bench: $(READY)
	$(BIN)/python -m livingreview bench

# Literature and registry search: every strategy for the window since its last successful run;
# writes data/ (all or nothing) and _build/search/summary.md. Needs NCBI_EMAIL (NCBI_API_KEY
# optional). See README, "Searching".
search: $(READY)
	$(BIN)/python -m livingreview search

# Preview the built site at http://127.0.0.1:8000 (after `make book`).
serve:
	$(PYTHON) -m http.server --bind 127.0.0.1 --directory _build/html 8000

# Re-pin every dependency after editing requirements.in.
lock: $(READY)
	$(BIN)/python -m pip install --quiet -r requirements.in
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e ' > requirements.txt

clean:
	rm -rf _build
