"""The front-desk app: the day's patient flow and its report.

It owns the pages for arrivals, the waiting room, the patients in chairs and late arrivals
(``views.py``), the reads behind them (``selectors.py``) and the wait-time report
(``reports.py``). It has no models: every status change goes through the one state machine,
``scheduling.services.transition``.
"""

from django.apps import AppConfig


class FrontdeskConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "frontdesk"
