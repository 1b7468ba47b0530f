# The two commands a newcomer needs: `make demo` and `make test`.
# Each builds its own virtual environment, so neither depends on the other.

PYTHON ?= python3
DEMO_VENV := .venv-demo
TEST_VENV := .venv-test
PIP_FLAGS := --quiet --disable-pip-version-check

.PHONY: demo test lint clean pictures

demo: $(DEMO_VENV)/.installed
	$(DEMO_VENV)/bin/refkmeans demo --force

test: $(TEST_VENV)/.installed
	$(TEST_VENV)/bin/ruff check refkmeans tests
	$(TEST_VENV)/bin/mypy refkmeans
	$(TEST_VENV)/bin/python -m pytest --cov=refkmeans --cov-report=term --cov-fail-under=95 -q

# Regenerate the tutorial's pictures in docs/pictures/ (a test checks they are current).
pictures: $(DEMO_VENV)/.installed
	$(DEMO_VENV)/bin/python -m refkmeans.teach.pictures

$(DEMO_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/python -m pip install $(PIP_FLAGS) -e .
	touch $@

$(TEST_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/python -m pip install $(PIP_FLAGS) -e '.[test]'
	touch $@

clean:
	rm -rf $(DEMO_VENV) $(TEST_VENV) demo-output .coverage
