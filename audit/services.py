"""Writing the access audit: one function, called by the middleware for every audited read."""

from __future__ import annotations

from audit.models import Channel, PatientAccess


def record_patient_access(
    *, request, patient_id: int, what: str, channel: str = Channel.PAGE, object_id: int | None = None
) -> PatientAccess:
    """Record that the request's user read (part of) the patient's record."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        user = None
    return PatientAccess.objects.create(
        user=user,
        username=user.get_username() if user is not None else "",
        patient_id=patient_id,
        what=what,
        object_id=object_id,
        channel=channel,
        path=request.get_full_path()[:500],
        ip_address=request.META.get("REMOTE_ADDR") or None,
    )
