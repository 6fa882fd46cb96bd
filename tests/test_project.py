"""The project's own files: migrations, deploy checks, docker-compose, README and CI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command

from infusion_center.localdb import url_for

ROOT = Path(__file__).resolve().parent.parent


def test_migrations_are_complete(db):
    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())


def test_production_mode_passes_the_deploy_check(db):
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for themselves; the deploy check flags it.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "DJANGO_MODE": "production",
        "SECRET_KEY": "k" * 20 + "-Zq9x!r7@Lm2#Vb8$Tn4%Hc6^Wd1&Yf3*Gs5(Pj0)Ok",
        "ALLOWED_HOSTS": "infusion.example.org",
        "DATABASE_URL": url_for(settings.DATABASES["default"]),
        "DEBUG": "false",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_mode_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"DJANGO_MODE": "production", "DATABASE_URL": "postgres://x@localhost/x"})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_docker_compose_services_run_commands_that_exist():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)
    web = services["web"]["command"]
    assert "gunicorn infusion_center.wsgi:application" in web
    assert (ROOT / "infusion_center" / "wsgi.py").exists()
    assert "manage.py migrate" in web and (ROOT / "manage.py").exists()
    for name in ("worker", "beat"):
        command = services[name]["command"]
        assert command.startswith(f"celery -A infusion_center {name}")
        assert (ROOT / "infusion_center" / "celery.py").exists()
    for name in ("web", "worker", "beat"):
        assert services[name]["build"] == "."
        assert services[name]["environment"]["DJANGO_MODE"] == "production"
        assert services[name]["environment"]["REDIS_URL"].startswith("redis://redis")
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    requirements = (ROOT / "requirements.txt").read_text()
    for package in ("gunicorn==", "celery[redis]==", "psycopg2-binary=="):
        assert package in requirements


def test_celery_app_loads_with_the_configured_broker():
    from infusion_center.celery import app

    assert app.main == "infusion_center"
    broker = app.conf.broker_url
    if settings.REDIS_URL:
        assert broker == settings.REDIS_URL
    else:
        assert broker.startswith("filesystem://")


def test_every_requirement_is_pinned():
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-r"):
                assert re.match(r"^[A-Za-z0-9_.\[\]-]+==[0-9][^ ]*$", line), f"{name}: {line} is not pinned"


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"^\s*(python3(?:\.11)? dev\.py test)\s*$", readme, re.MULTILINE)
    assert match, "README.md must give the test command on a line of its own"
    assert match.group(1) in (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^\s*python3(?:\.11)? dev\.py run\s*$", readme, re.MULTILINE)


@pytest.mark.parametrize("path", ["css/app.css"])
def test_assets_are_served_by_the_app(client, db, path):
    from django.contrib.staticfiles import finders

    assert finders.find(path)
    assert finders.find("bootstrap/css/bootstrap.min.css")
    assert finders.find("bootstrap/js/bootstrap.bundle.min.js")
    assert finders.find("django_htmx/htmx-2.min.js") or finders.find("django_htmx/htmx.min.js")
