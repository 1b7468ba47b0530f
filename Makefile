# The two commands a newcomer needs: `make demo` and `make test`.
# Each builds its own virtual environment, so neither depends on the other.

PYTHON ?= python3
DEMO_VENV := .venv-demo
TEST_VENV := .venv-test
PIP_FLAGS := --quiet --disable-pip-version-check
# The first-party plugins, each its own distribution, installed editable into both venvs.
PLUGINS := plugins/refkmeans-png plugins/refkmeans-pillow plugins/refkmeans-colour
PLUGIN_PROJECTS := $(addsuffix /pyproject.toml,$(PLUGINS))
PLUGIN_PACKAGES := plugins/refkmeans-png/refkmeans_png plugins/refkmeans-pillow/refkmeans_pillow plugins/refkmeans-colour/refkmeans_colour

.PHONY: demo test lint clean pictures bench quality

demo: $(DEMO_VENV)/.installed
	$(DEMO_VENV)/bin/refkmeans demo --force

test: $(TEST_VENV)/.installed
	$(TEST_VENV)/bin/ruff check refkmeans tests plugins benchmarks peers
	$(TEST_VENV)/bin/mypy refkmeans $(PLUGIN_PACKAGES)
	REFKMEANS_REQUIRE_PLUGINS=1 $(TEST_VENV)/bin/python -m pytest -n auto --cov=refkmeans --cov-report=term --cov-fail-under=95 -q

# The speed benchmark (not part of `make test`): every contender on every input,
# interleaved, best of 3; prints a table and writes bench-output/quantize_speed.json.
# Under PyPy too when `pypy3` is installed.  BENCH_ARGS=--quick for a short run.
BENCH_VENV := .venv-bench
PYPY ?= pypy3
bench: $(BENCH_VENV)/.installed
	@command -v $(PYPY) >/dev/null 2>&1 && $(MAKE) --no-print-directory .venv-pypy/.installed || echo "bench: no $(PYPY), PyPy rows skipped"
	mkdir -p bench-output
	$(BENCH_VENV)/bin/python benchmarks/quantize_speed.py --work bench-output --json bench-output/quantize_speed.json \
		$$(test -x .venv-pypy/bin/python && echo --pypy .venv-pypy/bin/python) $(BENCH_ARGS)

# The quality benchmark (not part of `make test`): PSNR and time at 16 colours against
# scikit-learn, OpenCV, Pillow and (when installed) pngquant; writes docs/quality.md and
# bench-output/quality.json.  QUALITY_ARGS="--k 16,256 --k-photos 256=astronaut --scaling astronaut"
# adds the k=256 table and the time-against-k table.
quality: $(BENCH_VENV)/.installed
	@command -v pngquant >/dev/null 2>&1 || echo "quality: no pngquant (Debian: apt-get install pngquant), its row is skipped"
	mkdir -p bench-output
	$(BENCH_VENV)/bin/python benchmarks/quality.py --json bench-output/quality.json --markdown docs/quality.md $(QUALITY_ARGS)

$(BENCH_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install $(PIP_FLAGS) -e '.[bench]'
	touch $@

.venv-pypy/.installed: pyproject.toml
	$(PYPY) -m venv .venv-pypy
	.venv-pypy/bin/python -m pip install $(PIP_FLAGS) pluggy
	touch $@

# Regenerate the tutorial's pictures in docs/pictures/ (a test checks they are current).
pictures: $(DEMO_VENV)/.installed
	$(DEMO_VENV)/bin/python -m refkmeans.teach.pictures

$(DEMO_VENV)/.installed: pyproject.toml $(PLUGIN_PROJECTS)
	$(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/python -m pip install $(PIP_FLAGS) -e . $(addprefix -e ,$(PLUGINS))
	touch $@

# With npm, the JavaScript peer's package too (into the gitignored peers/js/node_modules),
# so the tests never reach the network; without npm (or the registry), its tests skip.
$(TEST_VENV)/.installed: pyproject.toml $(PLUGIN_PROJECTS) peers/js/package.json
	$(PYTHON) -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/python -m pip install $(PIP_FLAGS) -e '.[test]' $(addprefix -e ,$(PLUGINS))
	@if command -v npm >/dev/null 2>&1; then \
		npm install --prefix peers/js --no-audit --no-fund --no-package-lock --loglevel=error \
		|| echo "make: npm install failed; the ml-kmeans peer's tests will be skipped"; \
	else echo "make: no npm; the ml-kmeans peer's tests will be skipped"; fi
	touch $@

clean:
	rm -rf $(DEMO_VENV) $(TEST_VENV) $(BENCH_VENV) .venv-pypy demo-output bench-output .coverage
