"""What a reminder says: the minimum necessary, and nothing else.

A message may carry only the patient's first name, the date and time in the
patient's time zone, and the center's name and phone. It never names a drug,
a brand, a protocol, a diagnosis or the word "infusion" — not even through the
center's own name ("Riverside Infusion" is sent as "Riverside"). Every
rendered text passes :func:`check_minimum_necessary` before it leaves.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from dataclasses import dataclass

import icalendar
from django.conf import settings
from django.template.loader import render_to_string
from phonenumbers import PhoneNumberFormat, format_number

from reminders import links

SMS_LIMIT = 160
SMS_ACTIONS = "Reply C to confirm, N to cancel, STOP to opt out."
# Words that reveal treatment, whatever the protocol table says.
ALWAYS_FORBIDDEN = ("infusion", "infusions", "infuse", "drug", "dose", "chemo", "diagnosis")
_TREATMENT_WORD = re.compile(r"\b(infusions?|infuse|iv therapy)\b", re.IGNORECASE)


class ContentNotAllowed(Exception):
    """A rendered message would disclose more than the minimum necessary."""


@dataclass(frozen=True)
class ReminderFacts:
    """Everything a template may use."""

    first_name: str
    start: dt.datetime  # aware, in the patient's time zone
    center_name: str
    center_phone: str
    tz_label: str  # e.g. "EST" when the patient is not in the center's zone, else ""

    @property
    def date_text(self) -> str:
        return f"{self.start:%a} {self.start:%b} {self.start.day}"

    @property
    def time_text(self) -> str:
        text = f"{self.start:%I:%M %p}".lstrip("0")
        return f"{text} {self.tz_label}".strip()


def public_center_name(name: str) -> str:
    """The center's name without treatment words."""
    cleaned = _TREATMENT_WORD.sub("", name)
    cleaned = re.sub(r"\s{2,}", " ", cleaned).strip(" -–—,&")
    return cleaned or "your care center"


def facts_for(appointment) -> ReminderFacts:
    patient = appointment.patient
    center = appointment.center
    tz = zoneinfo.ZoneInfo(patient.effective_timezone)
    local_start = appointment.start.astimezone(tz)
    tz_label = "" if patient.effective_timezone == center.timezone else local_start.tzname() or ""
    phone = _national(center.phone) if center.phone else ""
    return ReminderFacts(
        first_name=patient.first_name.strip().split(" ")[0][:20] if patient.first_name else "",
        start=local_start,
        center_name=public_center_name(center.name),
        center_phone=phone,
        tz_label=tz_label,
    )


@functools.lru_cache(maxsize=256)
def _national(phone) -> str:
    """A center's phone as dialled at home ("(617) 555-0100"); read for every text it sends."""
    return format_number(phone, PhoneNumberFormat.NATIONAL)


def forbidden_terms(appointment) -> list[str]:
    """Words that must not appear: treatment words and this appointment's protocol details."""
    protocol = appointment.protocol
    terms = list(ALWAYS_FORBIDDEN)
    for value in (protocol.name, protocol.drug, protocol.brand, protocol.indication):
        if value and len(value.strip()) >= 3:
            terms.append(value.strip())
    if protocol.code and len(protocol.code) >= 3:
        terms.append(protocol.code)
    return terms


def check_minimum_necessary(text: str, appointment) -> None:
    found = _forbidden_pattern(tuple(forbidden_terms(appointment))).search(text)
    if found:
        term = next(t for t in forbidden_terms(appointment) if re.fullmatch(re.escape(t), found.group(0), re.I))
        raise ContentNotAllowed(f"The message would disclose “{term}”.")


@functools.lru_cache(maxsize=256)
def _forbidden_pattern(terms: tuple[str, ...]) -> re.Pattern:
    """One pattern for all of a protocol's forbidden words (compiled once per protocol, not per text)."""
    return re.compile("|".join(rf"\b{re.escape(term)}\b" for term in terms), re.IGNORECASE)


def sms_text(facts: ReminderFacts, *, link: str = "") -> str:
    """The SMS, at most 160 characters: shortens the center name, then drops the name, if it must.

    ``link`` (the patient's reschedule link) is added only where it fits whole beside the center's
    full name and phone (the greeting may give way to it); otherwise the text goes without it.
    """
    if link:
        center_part = f"{facts.center_name} reminder: appt {facts.date_text} at {facts.time_text}."
        phone_part = f" Call {facts.center_phone}." if facts.center_phone else ""
        for greeting in ([f"Hi {facts.first_name}, "] if facts.first_name else []) + [""]:
            text = f"{greeting}{center_part}{phone_part} New time: {link} {SMS_ACTIONS}"
            if len(text) <= SMS_LIMIT:
                return text
    phone = f" Call {facts.center_phone}." if facts.center_phone else ""
    center = facts.center_name
    first = facts.first_name
    for _ in range(3):
        greeting = f"Hi {first}, " if first else ""
        text = f"{greeting}{center} reminder: appt {facts.date_text} at {facts.time_text}.{phone} {SMS_ACTIONS}"
        if len(text) <= SMS_LIMIT:
            return text
        over = len(text) - SMS_LIMIT
        if len(center) - over >= 8:
            center = center[: len(center) - over - 1].rstrip() + "…"
        elif first:
            first = ""
        else:
            phone = ""
    return text[:SMS_LIMIT]


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str
    ics: bytes


def email_content(appointment, *, now: dt.datetime) -> EmailContent:
    facts = facts_for(appointment)
    context = {
        "facts": facts,
        "confirm_url": links.action_url(appointment, "confirm"),
        "cancel_url": links.action_url(appointment, "cancel"),
        "reschedule_url": links.short_url(appointment, "reschedule"),
    }
    subject = f"Reminder: your appointment on {facts.date_text} at {facts.time_text}"
    return EmailContent(
        subject=subject,
        text=render_to_string("reminders/email/reminder.txt", context),
        html=render_to_string("reminders/email/reminder.html", context),
        ics=calendar_file(appointment, facts=facts, now=now),
    )


def calendar_file(appointment, *, facts: ReminderFacts, now: dt.datetime) -> bytes:
    """An RFC 5545 calendar with one event; it names only the center and its phone."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Appointment Reminders//EN")  # no treatment word, even here
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    host = settings.PUBLIC_BASE_URL.split("://", 1)[-1].split("/", 1)[0] or "localhost"
    event.add("uid", f"appointment-{appointment.pk}@{host}")
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("dtstart", appointment.start.astimezone(dt.UTC))
    event.add("dtend", appointment.end.astimezone(dt.UTC))
    event.add("summary", f"Appointment at {facts.center_name}")
    if facts.center_phone:
        event.add("description", f"Questions or changes: call {facts.center_phone}.")
    event.add("status", "CONFIRMED" if appointment.confirmed_at else "TENTATIVE")
    # A moved appointment must replace the earlier event in the patient's calendar.
    event.add("sequence", int(appointment.updated_at.timestamp()) if appointment.updated_at else 0)
    calendar.add_component(event)
    return calendar.to_ical()


def render_sms(appointment) -> str:
    text = sms_text(facts_for(appointment), link=links.short_url(appointment, "reschedule"))
    check_minimum_necessary(text, appointment)
    return text


_URL = re.compile(r"https?://[^\s\"'<>]+")


def render_email(appointment, *, now: dt.datetime) -> EmailContent:
    content = email_content(appointment, now=now)
    for part in (content.subject, content.text, content.html, content.ics.decode()):
        # Links carry random-looking signed tokens, which may contain a short protocol code by chance.
        check_minimum_necessary(_URL.sub("", part), appointment)
    return content


def help_reply(center) -> str:
    phone = format_number(center.phone, PhoneNumberFormat.NATIONAL) if center and center.phone else ""
    name = public_center_name(center.name) if center else "Your care center"
    call = f" or call {phone}" if phone else ""
    return f"{name}: reply C to confirm, N to cancel{call}. STOP to opt out."
