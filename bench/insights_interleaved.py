"""Insights, before and after, request by request: another checkout's ``insights/selectors.py``
against this one's, alternated in one process on one database, so both meet the same load.

    .venv/bin/python -m bench.insights_interleaved DIR [--views waits,no-shows,nurse-load] [--repeat 15]

``DIR`` is a checkout of the commit to compare with (``git archive <commit> | tar -x -C DIR``).
Runs on the scratch database ``bench.insights_bench --keep`` left (run that first): each view of
the default range (four weeks) and of the whole year is asked for through Django's test client
with the reports reading the old selectors, then the new, ``--repeat`` times in turn. Only the
selectors are swapped (the rest of the request — sign-in, layout, charts — is the same code), so
the ratio is the selectors' share; the old ones run on this checkout's slot summary. Prints the
median wall time and mean CPU time (app and PostgreSQL backend) per request of each, and writes
them to ``bench/results/insights_interleaved.txt``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import statistics
import time
from pathlib import Path

import django

RESULTS = Path(__file__).resolve().parent / "results" / "insights_interleaved.txt"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", metavar="DIR")
    parser.add_argument("--views", default="waits,no-shows,nurse-load")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infusion_center.settings")
    django.setup()
    import time_machine
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from bench.insights_bench import DAY, _backend_cpu_seconds, _pass_second_factor, _scratch_name
    from chairs.models import Center
    from insights import reports
    from insights import selectors as new

    spec = importlib.util.spec_from_file_location(
        "before_selectors", os.path.join(args.before, "insights", "selectors.py")
    )
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)

    setup_test_environment()
    connection.settings_dict["NAME"] = _scratch_name(argparse.Namespace(database=None))
    center = Center.objects.get(name="Benchmark Infusion Center")
    admin = User.objects.get(username="bench.admin")
    now = dt.datetime.combine(DAY, dt.time(11), tzinfo=center.tzinfo)
    lines = [
        f"Insights selectors, {args.before} (before) against this checkout (after), alternated request by request",
        f"({args.repeat} each after a first); 2-core machine shared with other jobs, load average "
        f"{os.getloadavg()[0]:.1f} at the start.",
    ]
    with time_machine.travel(now, tick=False):
        client = Client()
        client.force_login(admin)
        _pass_second_factor(client, admin)
        year_from = DAY - dt.timedelta(days=args.days - 1)
        for slug in args.views.split(","):
            for label, query in (("4 weeks", ""), ("year", f"&from={year_from}&to={DAY}")):
                url = f"/insights/{slug}/?center={center.pk}{query}"
                figures = {"before": [], "after": []}
                for turn in range(args.repeat + 1):
                    for name, module in (("before", old), ("after", new)):
                        reports.selectors = module
                        cpu = time.process_time() + _backend_cpu_seconds()
                        began = time.perf_counter()
                        assert client.get(url).status_code == 200
                        if turn:  # the first turn warms both up
                            figures[name].append(
                                (
                                    (time.perf_counter() - began) * 1000,
                                    (time.process_time() + _backend_cpu_seconds() - cpu) * 1000,
                                )
                            )
                reports.selectors = new
                b, a = figures["before"], figures["after"]
                wall = [statistics.median(x[0] for x in f) for f in (b, a)]
                cpu = [statistics.mean(x[1] for x in f) for f in (b, a)]
                lines.append(
                    f"{slug:<12} {label:<8} wall {wall[0]:6.0f} → {wall[1]:6.0f} ms ({wall[1] / wall[0]:.2f})   "
                    f"CPU {cpu[0]:6.0f} → {cpu[1]:6.0f} ms ({cpu[1] / cpu[0]:.2f})"
                )
    lines.append(f"Load average {os.getloadavg()[0]:.1f} at the end.")
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
