"""Regimen tests use the real library (seeded from the labels) and the treatment tests' helpers, on the
treatment tests' day (``staffed`` lays its nurse shifts from today: on the real date a test's fixed
dates fell outside them within two weeks, and under ``--clock`` at once)."""

from tests.treatment.conftest import library, staffed, the_tests_today  # noqa: F401  (fixtures)
