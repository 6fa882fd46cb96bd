"""The URL handed to a child process (a Celery worker, gunicorn, ``manage.py``) names the database the
parent uses, on the embedded PostgreSQL's Unix socket as on a TCP server."""

from __future__ import annotations

import environ
import pytest

from infusion_center.localdb import url_for


def read_back(url: str) -> dict:
    return environ.Env.db_url_config(url)


def connects_to(config: dict) -> tuple:
    """What psycopg2 is given (Django's own rule: HOST and PORT, when set, win over OPTIONS)."""
    options = config.get("OPTIONS", {})
    return (
        config.get("HOST") or options.get("host"),
        str(config.get("PORT") or options.get("port") or ""),
        config["NAME"],
        config["USER"],
        config.get("PASSWORD") or "",
    )


@pytest.mark.parametrize(
    ("settings_dict", "expected"),
    [
        # The embedded PostgreSQL a newcomer gets: a socket directory, no port.
        ({"USER": "postgres", "HOST": "/work/main/.local/pgdata", "NAME": "infusion_center"},
         ("/work/main/.local/pgdata", "", "test_db", "postgres", "")),
        ({"USER": "postgres", "HOST": "/run/postgresql", "PORT": 5433, "NAME": "x"},
         ("/run/postgresql", "5433", "test_db", "postgres", "")),
        ({"USER": "clinic", "PASSWORD": "p@ss:w/rd", "HOST": "db.example.org", "PORT": 6432, "NAME": "x"},
         ("db.example.org", "6432", "test_db", "clinic", "p@ss:w/rd")),
        ({"USER": "postgres", "HOST": "", "PORT": "", "NAME": "x"}, ("127.0.0.1", "5432", "test_db", "postgres", "")),
    ],
)  # fmt: skip
def test_a_child_process_reads_the_same_server_back(settings_dict, expected):
    assert connects_to(read_back(url_for(settings_dict, "test_db"))) == expected


def test_a_url_read_from_such_a_url_is_the_same_again():
    """A worker started by a worker (a socket read back from a URL sits in OPTIONS, not HOST)."""
    first = read_back(url_for({"USER": "postgres", "HOST": "/tmp/pg sock", "NAME": "x"}))
    again = read_back(url_for(first))
    assert connects_to(again) == connects_to(first) == ("/tmp/pg sock", "", "x", "postgres", "")


def test_without_a_new_name_it_is_the_settings_database():
    assert read_back(url_for({"USER": "postgres", "HOST": "127.0.0.1", "PORT": 5432, "NAME": "ic"}))["NAME"] == "ic"
