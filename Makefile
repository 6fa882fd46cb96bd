# Thin wrappers around dev.py, which needs nothing but Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)

.PHONY: run test setup bench
run:
	$(PYTHON) dev.py run
test:
	$(PYTHON) dev.py test
setup:
	$(PYTHON) dev.py setup
bench:
	$(PYTHON) dev.py bench
