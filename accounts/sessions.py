"""Sessions that end after a spell of inactivity, saved only when the idle deadline has moved.

Every request of a signed-in user pushes the session's expiry ``SESSION_COOKIE_AGE`` (15 minutes)
forward. Saving the session on every request for that (Django's ``SESSION_SAVE_EVERY_REQUEST``)
cost each page, each htmx poll of the board and the front-desk lists, a write to the session table.
The store below remembers the expiry it read, and :class:`SlidingSessionMiddleware` marks the
session for saving only when that expiry is more than ``SESSION_REFRESH_SECONDS`` (a minute) older
than a fresh one: the idle deadline then trails the last request by at most that much.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    """Django's database sessions, keeping the expiry of the row read (``stored_expiry``)."""

    stored_expiry: dt.datetime | None = None

    def _get_session_from_db(self):  # Django's db backend has it; its stubs do not
        found = super()._get_session_from_db()  # type: ignore[misc]
        self.stored_expiry = found.expire_date if found is not None else None
        return found


class SlidingSessionMiddleware:
    """Save a session whose idle deadline is due to move (see the module docstring). Listed after
    Django's ``SessionMiddleware``, so it sees the response first and that middleware then saves."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not session.accessed or session.modified:
            return response
        stored = getattr(session, "stored_expiry", None)
        if stored is None:  # nothing stored (signed out) or another session engine
            return response
        fresh = timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
        if fresh - stored > dt.timedelta(seconds=settings.SESSION_REFRESH_SECONDS):
            session.modified = True
        return response
