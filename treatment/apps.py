"""The treatment app: what must be true before a dose is given, and the plan of doses.

It owns doctor's orders, prior authorizations, prerequisite documents and the protocols'
prerequisite rules (as data, ``models.py``); readiness (``readiness.py``: is this dose ready, and
what is missing); series booking and re-flow through the planner (``series.py``); the work queue
(``selectors.py``); the patient's iCalendar feed (``calendar_ics.py``); and the guard the booking
service calls before it books a dose (``services.py``). Appointments themselves, the planner and
the state machine stay in ``scheduling``.
"""

from django.apps import AppConfig


class TreatmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "treatment"
