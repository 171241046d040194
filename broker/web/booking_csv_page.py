"""Importing bookings from a CSV file, for a manager: each row's result shown, and nothing
half-done: a file with a bad row books nothing and lists every bad row.

The columns (a header row, in any order; UTF-8, a spreadsheet's BOM allowed):
source, external_id, service, day (2026-11-30), slot (08:30), name, nik, phone. A row
goes through `broker.web.booking_import` as an API call would, so a file sent twice
books once. The rows are all checked before the first is booked; a booking someone
else takes between the check and the import (a slot filling up) is the only way a row
can still be refused then, and its row says so.
"""

import csv
import datetime as dt
import io
from dataclasses import dataclass

from flask import Blueprint, Flask, render_template, request

from broker.store.sqlite_store import StoreError
from broker.web.accounts import Role
from broker.web.booking_common import desk, now
from broker.web.booking_import import (
    ImportRequest,
    ImportResult,
    Outcome,
    import_booking,
    precheck,
    refused,
)
from broker.web.context import context
from broker.web.i18n import language, t
from broker.web.security import login_required
from contract.reasons import Reason

bp = Blueprint("booking_csv", __name__)

COLUMNS = ("source", "external_id", "service", "day", "slot", "name", "nik", "phone")


@dataclass(frozen=True, slots=True)
class RowResult:
    """One row of the file and what became of it."""

    number: int
    key: str
    result: ImportResult

    @property
    def words(self) -> str:
        if self.result.outcome is Outcome.BOOKED:
            return t("bk_import_booked")
        if self.result.outcome is Outcome.ALREADY_IMPORTED:
            return t("bk_import_again")
        message = self.result.message_en if language() == "en" else self.result.message
        return f"{t('bk_import_refused')}: {message}"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.route("/booking-import/", methods=["GET", "POST"])
@login_required(Role.ADMIN, Role.MANAGER)
def page() -> tuple[str, int]:
    if request.method == "GET":
        return _render([], "", 200)
    upload = request.files.get("file")
    text = _text(upload.read() if upload is not None else b"")
    parsed = _rows(text) if text is not None else None
    if parsed is None:
        return _render([], t("bk_import_bad_file").format(columns=", ".join(COLUMNS)), 400)
    asked, problems = parsed
    moment = now()
    checked = precheck(desk(), context().site, [a for a in asked if a is not None], moment)
    results = iter(checked)
    merged = [problem or next(results) for problem in problems]
    if any(r is not None for r in merged):
        rows = [
            RowResult(n, _key(a), r or ImportResult(Outcome.BOOKED))
            for n, (a, r) in enumerate(zip(asked, merged, strict=True), start=2)
        ]
        return _render(
            [r for r in rows if r.result.outcome is Outcome.REFUSED], t("bk_import_nothing"), 400
        )
    done: list[RowResult] = []
    for n, one in enumerate(asked, start=2):
        assert one is not None
        try:
            result = import_booking(desk(), one, moment)
        except StoreError:
            result = refused(
                Reason.UNAVAILABLE.value, t("bk_unavailable", "id"), t("bk_unavailable", "en")
            )
        done.append(RowResult(n, one.key, result))
    booked = sum(r.result.outcome is Outcome.BOOKED for r in done)
    again = sum(r.result.outcome is Outcome.ALREADY_IMPORTED for r in done)
    return _render(done, t("bk_import_done").format(booked=booked, again=again), 200)


def _render(rows: list[RowResult], summary: str, status: int) -> tuple[str, int]:
    return render_template(
        "booking_import.html", rows=rows, summary=summary, columns=COLUMNS
    ), status


def _text(payload: bytes) -> str | None:
    try:
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _rows(text: str) -> tuple[list[ImportRequest | None], list[ImportResult | None]] | None:
    """Each data row as a request, or the reason it is not one; None: no usable header."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if reader.fieldnames is None or set(COLUMNS) - {f.strip() for f in reader.fieldnames}:
        return None
    asked: list[ImportRequest | None] = []
    problems: list[ImportResult | None] = []
    for raw in reader:
        row = {key.strip(): (value or "").strip() for key, value in raw.items() if key}
        one, problem = _request(row)
        asked.append(one)
        problems.append(problem)
    return (asked, problems) if asked else None


def _request(row: dict[str, str]) -> tuple[ImportRequest | None, ImportResult | None]:
    try:
        day = dt.date.fromisoformat(row["day"])
    except ValueError:
        return None, _bad("bk_import_date", row["day"])
    try:
        slot = dt.time.fromisoformat(row["slot"])
    except ValueError:
        return None, _bad("bk_import_time", row["slot"])
    return (
        ImportRequest(
            source=row["source"],
            external_id=row["external_id"],
            service=row["service"].upper(),
            day=day,
            slot=slot,
            name=row["name"],
            nik=row["nik"],
            phone=row["phone"],
        ),
        None,
    )


def _bad(key: str, text: str) -> ImportResult:
    shown = text[:20]
    return refused(
        Reason.BAD_REQUEST.value, t(key, "id").format(text=shown), t(key, "en").format(text=shown)
    )


def _key(asked: ImportRequest | None) -> str:
    return asked.key if asked is not None else ""
