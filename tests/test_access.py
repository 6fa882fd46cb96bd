"""Login, roles, center scoping, idle logoff and lockout."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chairs.roles import CENTER_ADMIN, FRONT_DESK, NURSE, ROLE_PERMISSIONS, has_role, roles_of
from chairs.selectors import center_for, centers_for
from tests.factories import UserFactory


def test_pages_require_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_admin_requires_login(client, db):
    response = client.get("/admin/")
    assert response.status_code == 302


def test_health_is_public(client, db):
    assert client.get(reverse("health")).json() == {"status": "ok"}


def test_login_form_signs_in(client, nurse):
    response = client.post(reverse("login"), {"username": "nina.nurse", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert client.get(reverse("home"), follow=True).status_code == 200


def test_roles_are_created_with_their_permissions(db):
    nurse = UserFactory(role=NURSE)
    desk = UserFactory(role=FRONT_DESK)
    admin = UserFactory(role=CENTER_ADMIN)
    assert roles_of(nurse) == {NURSE}
    assert has_role(desk, FRONT_DESK) and not has_role(desk, CENTER_ADMIN)
    for user in (nurse, desk, admin):
        assert user.has_perm("scheduling.add_appointment")
        assert user.has_perm("scheduling.view_protocol")
    for perm in ("scheduling.change_protocol", "chairs.change_center", "chairs.change_chair", "chairs.add_nurseshift"):
        assert not desk.has_perm(perm), perm
        assert admin.has_perm(perm), perm
    assert nurse.has_perm("chairs.add_chairblock") and not desk.has_perm("chairs.add_chairblock")
    assert not nurse.has_perm("scheduling.change_protocol")


def test_post_migrate_sets_the_roles_once_after_the_last_app(db):
    """Django sends post_migrate once per app, and again at every transactional test's flush: the roles
    (which span every app's permissions) are set once per round, after the last app's permissions exist."""
    from unittest import mock

    from django.contrib.auth.models import Group
    from django.core.management.sql import emit_post_migrate_signal

    Group.objects.filter(name=NURSE).delete()
    with mock.patch.object(Group.objects, "get_or_create", wraps=Group.objects.get_or_create) as get_or_create:
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert get_or_create.call_count == len(ROLE_PERMISSIONS)
    assert Group.objects.get(name=NURSE).permissions.filter(codename="add_appointment").exists()


def test_users_see_only_their_centers(center, other_center, nurse):
    assert list(centers_for(user=nurse)) == [center]
    assert center_for(user=nurse, center_id=other_center.pk) is None
    assert center_for(user=nurse, center_id="not-a-number") is None
    assert center_for(user=nurse, center_id=None) == center


def test_user_in_two_centers_sees_both(center, other_center):
    user = UserFactory(role=NURSE, center=center)
    other_center.staff.add(user)
    assert set(centers_for(user=user)) == {center, other_center}


def test_front_desk_cannot_open_protocol_or_center_admin(client, front_desk, center):
    front_desk.is_staff = True
    front_desk.save()
    client.force_login(front_desk)
    assert client.get("/admin/scheduling/protocol/add/").status_code == 403
    # They may look at the center's settings but not change them.
    url = f"/admin/chairs/center/{center.pk}/change/"
    assert client.post(url, {"name": "Renamed"}).status_code == 403
    center.refresh_from_db()
    assert center.name != "Renamed"


def test_center_admin_can_edit_protocols_in_admin(admin_client_for_center, protocol):
    response = admin_client_for_center.get(f"/admin/scheduling/protocol/{protocol.pk}/change/")
    assert response.status_code == 200


def test_session_ends_after_fifteen_idle_minutes(client, nurse, settings):
    assert settings.SESSION_COOKIE_AGE == 15 * 60
    assert settings.SESSION_REFRESH_SECONDS == 60
    client.force_login(nurse)
    assert client.get(reverse("home")).url == reverse("board")  # signed in: the nurse's home
    session = Session.objects.get()
    remaining = session.expire_date - timezone.now()
    assert dt.timedelta(minutes=14) < remaining <= dt.timedelta(minutes=15)
    # Sixteen idle minutes later the session has expired and the user is sent to the login page.
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(minutes=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_activity_pushes_the_idle_deadline_forward(client, nurse):
    client.force_login(nurse)
    Session.objects.update(expire_date=timezone.now() + dt.timedelta(minutes=2))
    assert client.get(reverse("board")).status_code == 200
    assert Session.objects.get().expire_date > timezone.now() + dt.timedelta(minutes=14)


def _session_writes(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"] and "SELECT" not in q["sql"]]


def test_requests_within_a_minute_leave_the_session_row_alone_and_later_ones_move_it(client, nurse):
    """The idle deadline trails the last request by at most SESSION_REFRESH_SECONDS: a page or a poll a
    few seconds after the last save writes nothing to the session table; one after a minute does."""
    start = dt.datetime(2027, 3, 1, 14, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(nurse)
        assert client.get(reverse("board")).status_code == 200
        saved = Session.objects.get().expire_date
        clock.shift(dt.timedelta(seconds=30))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("board")).status_code == 200
        assert _session_writes(queries) == []
        assert Session.objects.get().expire_date == saved
        clock.shift(dt.timedelta(seconds=45))  # 75 s after the last save
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("board")).status_code == 200
        assert len(_session_writes(queries)) == 1
        assert Session.objects.get().expire_date == start + dt.timedelta(seconds=75 + 15 * 60)
        # Still signed in 15 minutes after that request, not 15 minutes after the first.
        clock.shift(dt.timedelta(minutes=14, seconds=50))
        assert client.get(reverse("board")).status_code == 200


@pytest.mark.django_db
def test_repeated_failed_logins_lock_the_account(client, nurse, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "nina.nurse", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "nina.nurse", "password": "correct-horse-battery"})
    assert response.status_code == 429
    assert b"Account locked" in response.content
    assert "_auth_user_id" not in client.session
