"""RFC 5545 details of the series calendar: escaping and 75-octet line folding."""

from __future__ import annotations

from treatment.calendar_ics import escape, fold


def test_text_is_escaped():
    assert escape("Room 2; bed, left\\side\nsecond line") == "Room 2\\; bed\\, left\\\\side\\nsecond line"


def test_long_lines_fold_at_75_octets_without_splitting_a_character():
    line = "LOCATION:" + "Zürich Infusionszentrum " * 8
    folded = fold(line)
    pieces = folded.split("\r\n")
    assert all(len(piece.encode()) <= 75 for piece in pieces)
    assert all(piece.startswith(" ") for piece in pieces[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(pieces)) == line


def test_short_lines_are_left_alone():
    assert fold("SUMMARY:Appointment") == "SUMMARY:Appointment"
