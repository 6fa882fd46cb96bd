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
import logging
import re
import unicodedata
import zoneinfo
from dataclasses import dataclass

import icalendar
from django.conf import settings
from django.template.loader import render_to_string
from phonenumbers import PhoneNumberFormat, format_number

from reminders import links

log = logging.getLogger(__name__)

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


# --- GSM-7: what one 160-character text can carry ---------------------------------------------------

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = "^{}\\[~]|€\f"  # two septets each
_GSM7_SUBSTITUTES = {"…": "...", "–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " "}


def gsm7_length(text: str) -> int | None:
    """Septets the text takes in GSM-7, or None if a character would force UCS-2 (70 per part)."""
    length = 0
    for character in text:
        if character in GSM7_BASIC:
            length += 1
        elif character in GSM7_EXTENDED:
            length += 2
        else:
            return None
    return length


def to_gsm7(text: str) -> str:
    """The text in GSM-7 characters: typographic dashes and quotes plainly, accents dropped if they must be."""
    result = []
    for character in text:
        if character in GSM7_BASIC or character in GSM7_EXTENDED:
            result.append(character)
        elif character in _GSM7_SUBSTITUTES:
            result.append(_GSM7_SUBSTITUTES[character])
        else:
            plain = unicodedata.normalize("NFKD", character).encode("ascii", "ignore").decode()
            result.append(plain if all(c in GSM7_BASIC for c in plain) else "")
    return "".join(result)


def fits_sms(text: str) -> bool:
    length = gsm7_length(text)
    return length is not None and length <= SMS_LIMIT


def shorten_name(name: str, room: int) -> str:
    """The center's name cut at a word to ``room`` characters (at least a few letters, so it still says who)."""
    if len(name) <= room:
        return name
    cut = name[: max(room, MIN_CENTER_CHARS)].rstrip(" -,&.")
    if " " in cut and len(cut.rsplit(" ", 1)[0]) >= MIN_CENTER_CHARS:
        cut = cut.rsplit(" ", 1)[0].rstrip(" -,&.")
    return cut


def sms_with_center(template: str, center_name: str, *, may_shorten: bool = True) -> str | None:
    """``template`` with ``{center}`` replaced by the center's name, shortened as far as needed (never
    below ``MIN_CENTER_CHARS``) when ``may_shorten``; None when it cannot fit one SMS."""
    center = to_gsm7(center_name)
    text = to_gsm7(template.replace("{center}", center))
    length = gsm7_length(text) or 0
    if length <= SMS_LIMIT:
        return text
    room = len(center) - (length - SMS_LIMIT)
    if not may_shorten or room < MIN_CENTER_CHARS:
        return None
    text = to_gsm7(template.replace("{center}", shorten_name(center, room)))
    return text if fits_sms(text) else None


MIN_CENTER_CHARS = 6
SMS_ACTIONS_SHORT = "Reply C confirm, N cancel, STOP opt out."


def sms_text(facts: ReminderFacts, *, link: str = "") -> str:
    """The reminder SMS, at most 160 GSM-7 characters, with ``link`` (the patient's short reschedule link).

    The link always goes in: the phone, the greeting and the long wording give way to it first, then
    the center's name is shortened (to no fewer than ``MIN_CENTER_CHARS``). Only a link too long for
    any of that (an unusually long ``SHORT_LINK_BASE_URL``) is left out, and the text goes without it.
    """
    when = f"{facts.date_text} at {facts.time_text}"
    phone = f" Call {facts.center_phone}." if facts.center_phone else ""
    greeting = f"Hi {facts.first_name}, " if facts.first_name else ""
    if link:
        templates = [
            f"{greeting}{{center}} reminder: appt {when}.{phone} New time: {link} {SMS_ACTIONS}",
            f"{greeting}{{center}} reminder: appt {when}. New time: {link} {SMS_ACTIONS}",
            f"{{center}} reminder: appt {when}.{phone} New time: {link} {SMS_ACTIONS}",
            f"{{center}} reminder: appt {when}. New time: {link} {SMS_ACTIONS}",
            f"{{center}}: appt {when}. New time: {link} {SMS_ACTIONS_SHORT}",
            f"{{center}}: appt {facts.date_text} {facts.time_text}. Change: {link} {SMS_ACTIONS_SHORT}",
        ]
        for index, template in enumerate(templates):
            # The center's full name in every wording first; shortened only in the shortest.
            text = sms_with_center(template, facts.center_name, may_shorten=index == len(templates) - 1)
            if text is not None:
                return text
        log.warning("The reminder link is too long for a text message; sent without it: %s", link)
    templates = [
        f"{greeting}{{center}} reminder: appt {when}.{phone} {SMS_ACTIONS}",
        f"{{center}} reminder: appt {when}.{phone} {SMS_ACTIONS}",
        f"{{center}} reminder: appt {when}. {SMS_ACTIONS}",
    ]
    for template in templates[:-1]:
        text = sms_with_center(template, facts.center_name)
        if text is not None:
            return text
    return (
        sms_with_center(templates[-1], facts.center_name) or to_gsm7(templates[-1].replace("{center}", ""))[:SMS_LIMIT]
    )


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
    text = sms_text(facts_for(appointment), link=links.reschedule_sms_link(appointment))
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
    phone = _national(center.phone) if center and center.phone else ""
    name = public_center_name(center.name) if center else "Your care center"
    call = f" or call {phone}" if phone else ""
    return sms_with_center(f"{{center}}: reply C to confirm, N to cancel{call}. STOP to opt out.", name) or (
        f"Reply C to confirm, N to cancel{call}. STOP to opt out."
    )
