"""Run Celery as if it were a given moment, the clock ticking from it:

    python -m tests.clocked 2027-03-12T23:50:00-05:00 celery -A infusion_center worker ...

When the session runs under ``--clock`` (tests/conftest.py) the worker tests start their Celery worker
and beat through this, at the moment the test process has reached, so both sides read the same clock
(a worker on the real clock never found the reminders the test had made due). Forked pool processes
keep the travel.
"""

from __future__ import annotations

import datetime as dt
import sys

import time_machine


def main() -> None:
    moment = dt.datetime.fromisoformat(sys.argv[1])
    time_machine.travel(moment, tick=True).start()
    sys.argv = sys.argv[2:]
    from celery.__main__ import main as celery

    sys.exit(celery())


if __name__ == "__main__":
    main()
