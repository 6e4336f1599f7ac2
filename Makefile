# Two entry points for a fresh machine (see README):
#   make run   install everything and start the app on the embedded demo county
#   make test  install everything (Python packages, Chromium, CJK font) and run every test
# and, for a county intranet with no network (see README, 内网安装):
#   make bundle  one archive: the wheel, every dependency, the CJK font .deb, install.sh, 安装说明
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501

.PHONY: run test install install-test bench lint bundle clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed

$(VENV)/.system-deps: scripts/system-deps.sh
	bash scripts/system-deps.sh
	touch $@

install-test: install $(VENV)/.system-deps

run: install
	$(VENV)/bin/streamlit run app.py --server.port $(PORT)

test: install-test
	$(PY) -m pytest

bench: install
	$(PY) bench/orlib.py ../shared/benchmarks/orlib-pmed/pmed*.txt
	$(PY) bench/siting.py

lint: install
	$(VENV)/bin/ruff check geo optimization childplan app.py app_pages tests bench

# Needs PyPI and the Debian mirror here (never on the intranet machine); cached under build/.
bundle: install
	PY=$(PY) BUILD=build bash scripts/bundle.sh

clean:
	rm -rf $(VENV) .pytest_cache static/vendor
