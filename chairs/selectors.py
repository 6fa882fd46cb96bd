"""Queries shared by pages, the API and tasks: above all, which centers a user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from chairs.models import Center, Chair


def centers_for(*, user) -> QuerySet[Center]:
    """Centers the user works at (every center for a superuser)."""
    if not user.is_authenticated:
        return Center.objects.none()
    if user.is_superuser:
        return Center.objects.all()
    return Center.objects.filter(staff=user)


def center_for(*, user, center_id: int | str | None) -> Center | None:
    """The user's chosen center, or their first one; None if they have none."""
    centers = centers_for(user=user)
    if center_id:
        try:
            return centers.filter(pk=int(center_id)).first()
        except (TypeError, ValueError):
            return None
    return centers.first()


def chairs_for(*, center: Center, include_inactive: bool = False) -> QuerySet[Chair]:
    chairs = center.chairs.all()
    return chairs if include_inactive else chairs.filter(is_active=True)
