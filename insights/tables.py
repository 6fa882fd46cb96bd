"""The table behind every chart, and its CSV and XLSX exports.

A view's figures are a list of :class:`Table` objects; the page shows them under the charts, and
``?export=csv`` or ``?export=xlsx`` answers the same tables as a file (CSV: the tables one after
another, each headed by its title; XLSX: one sheet per table).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from django.http import HttpResponse
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    note: str = ""

    @property
    def body_html(self) -> SafeString:
        """The rows as ``<tr>`` elements, the first cell a row header, "–" for a missing value.

        Built here rather than in a template loop: a year's utilization table has thousands of
        cells, and the template engine spent more time on them than the query behind them. Values
        are localized and escaped as ``{{ value }}`` would be.
        """
        return mark_safe("".join(f"<tr>{''.join(_html_cells(row))}</tr>" for row in self.rows))


def _html_cells(row: list):
    for index, value in enumerate(row):
        text = "–" if value is None else conditional_escape(localize(value))
        yield f'<th scope="row" class="fw-normal">{text}</th>' if index == 0 else f"<td>{text}</td>"


def _cell(value):
    if isinstance(value, float):
        return round(value, 1)
    return "" if value is None else value


def csv_response(*, tables: list[Table], filename: str) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    for index, table in enumerate(tables):
        if index:
            writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.columns)
        writer.writerows([[_cell(v) for v in row] for row in table.rows])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _sheet_name(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title)[:28].strip() or "Sheet"
    name, n = base, 2
    while name in used:
        name, n = f"{base[:25]} {n}", n + 1
    used.add(name)
    return name


def xlsx_response(*, tables: list[Table], filename: str) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for table in tables:
        sheet = workbook.create_sheet(_sheet_name(table.title, used))
        sheet.append(table.columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_cell(v) for v in row])
    if not tables:
        workbook.create_sheet("Empty")
    out = io.BytesIO()
    workbook.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
