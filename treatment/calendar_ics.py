"""An iCalendar (RFC 5545) file of a patient's upcoming appointments, for the patient or a care partner.

Events say where and when only — never a drug or diagnosis ("minimum
necessary"), since calendars are shared and synced to phones. Lines end in
CRLF and are folded at 75 octets; text is escaped as section 3.3.11 says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from scheduling.models import Appointment

PRODID = "-//Infusion Center//Treatment series//EN"


def escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into 75-octet pieces joined by CRLF + space (never inside a character)."""
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    pieces, current, limit = [], b"", 75
    for char in line:
        raw = char.encode()
        if len(current) + len(raw) > limit:
            pieces.append(current.decode())
            current, limit = b"", 74  # continuation lines start with a space
        current += raw
    pieces.append(current.decode())
    return "\r\n ".join(pieces)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def series_calendar(*, appointments: Iterable[Appointment], now: dt.datetime, domain: str = "infusion-center") -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Infusion appointments",
    ]
    for appointment in appointments:
        center = appointment.center
        description = f"Please arrive 15 minutes early. To change this appointment call {center.phone}."
        lines += [
            "BEGIN:VEVENT",
            f"UID:appointment-{appointment.pk}@{domain}",
            f"DTSTAMP:{_utc(now)}",
            f"DTSTART:{_utc(appointment.start)}",
            f"DTEND:{_utc(appointment.end)}",
            f"SUMMARY:{escape(f'Appointment at {center.name}')}",
            f"LOCATION:{escape(center.address or center.name)}",
            f"DESCRIPTION:{escape(description)}",
            "STATUS:CONFIRMED",
            f"SEQUENCE:{int(appointment.updated_at.timestamp()) if appointment.updated_at else 0}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
