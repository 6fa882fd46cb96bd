"""Regimen tests use the real library (seeded from the labels) and the treatment tests' helpers."""

from tests.treatment.conftest import library, staffed  # noqa: F401  (fixtures)
