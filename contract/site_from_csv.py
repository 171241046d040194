"""Writes a site TOML file from a service catalogue CSV (`antre-site-from-csv`).

The CSV is what an MPP manager keeps in a spreadsheet, one row per service:

    prefix,agency,service,daily_quota,counters,opens,closes
    A,Kantor Imigrasi,Paspor,60,"1,2",08:00,14:00

An empty daily_quota means unlimited; counters lists the counter numbers that serve the
service; opens/closes are local HH:MM. The output is a commented starting point: agencies,
one weekly schedule per distinct (opens, closes) pair with the usual breaks (ishoma
12:00-13:00 Monday to Thursday, Friday prayer 11:30-13:30, closed at the weekend), the
services, and one counter per counter number. Kiosks and displays are added by hand.

A bad CSV is reported on stderr with its line number, and the exit status is 2.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import re
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from contract.errors import ConfigError
from contract.site_loader import parse_site
from contract.toml_text import toml_string

COLUMNS = ("prefix", "agency", "service", "daily_quota", "counters", "opens", "closes")
EXIT_BAD_INPUT = 2

_IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_PREFIX = re.compile(r"^[A-Z]{1,2}$")
_CLOCK = re.compile(r"^[0-9]{2}:[0-9]{2}$")
_NUMBER = re.compile(r"^[0-9]+$")
_MAX_NAME = 120
_MAX_ID = 40

# (weekday keys, break start, break end): a service is open from `opens` to `closes`
# except during the break.
_WEEK = (
    (("mon", "tue", "wed", "thu"), dt.time(12, 0), dt.time(13, 0)),  # ishoma
    (("fri",), dt.time(11, 30), dt.time(13, 30)),  # sholat Jumat
)
_CLOSED_DAYS = ("sat", "sun")


class CsvError(Exception):
    """A problem in the CSV, at a line (1 is the header)."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class Row:
    """One service row of the CSV, checked."""

    line: int
    prefix: str
    agency: str
    service: str
    daily_quota: int | None
    counters: tuple[int, ...]
    opens: dt.time
    closes: dt.time


# --- reading ----------------------------------------------------------------------------


def read_rows(text: str) -> list[Row]:
    """Parses and checks the CSV text; raises CsvError naming the line."""
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey="\0extra")
    header = reader.fieldnames
    if header is None:
        raise CsvError(1, f"the file is empty; expected the header {','.join(COLUMNS)}")
    names = [name.strip() for name in header]
    missing = [column for column in COLUMNS if column not in names]
    if missing:
        raise CsvError(1, f"missing column(s) {', '.join(missing)} in the header")
    reader.fieldnames = names

    rows: list[Row] = []
    first_line: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        if not any((value or "").strip() for key, value in record.items() if key in COLUMNS):
            continue  # a blank line
        if "\0extra" in record:
            raise CsvError(line, f"more fields than the {len(names)} columns of the header")
        values: dict[str, str] = {}
        for column in COLUMNS:
            value = record.get(column)
            if value is None:
                raise CsvError(line, f"no value for column {column!r} (too few fields)")
            values[column] = value.strip()
        row = _check_row(line, values)
        if row.prefix in first_line:
            raise CsvError(
                line, f"prefix {row.prefix!r} is already used on line {first_line[row.prefix]}"
            )
        first_line[row.prefix] = line
        rows.append(row)
    if not rows:
        raise CsvError(1, "no service rows after the header")
    return rows


def _check_row(line: int, values: dict[str, str]) -> Row:
    prefix = values["prefix"]
    if not _PREFIX.match(prefix):
        raise CsvError(line, f"bad prefix {prefix!r}: one or two capital letters, like 'A'")
    agency = _name(line, "agency", values["agency"])
    service = _name(line, "service", values["service"])

    quota_text = values["daily_quota"]
    quota: int | None = None
    if quota_text:
        quota = int(quota_text) if _NUMBER.match(quota_text) else 0
        if quota < 1:
            raise CsvError(
                line,
                f"bad daily_quota {quota_text!r}: a whole number of at least 1, "
                "or empty for no quota",
            )

    counters: list[int] = []
    for part in values["counters"].split(","):
        text = part.strip()
        if not _NUMBER.match(text) or int(text) < 1:
            raise CsvError(
                line,
                f'bad counters {values["counters"]!r}: counter numbers like "1,2"',
            )
        if int(text) not in counters:
            counters.append(int(text))

    opens = _clock(line, "opens", values["opens"])
    closes = _clock(line, "closes", values["closes"])
    if closes <= opens:
        raise CsvError(line, f"closes ({closes:%H:%M}) must be after opens ({opens:%H:%M})")
    if not any(_periods(opens, closes, start, end) for _, start, end in _WEEK):
        raise CsvError(line, f"{opens:%H:%M}-{closes:%H:%M} lies wholly within the midday break")
    return Row(line, prefix, agency, service, quota, tuple(counters), opens, closes)


def _name(line: int, column: str, text: str) -> str:
    if not text:
        raise CsvError(line, f"{column} is empty")
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in text):
        raise CsvError(line, f"{column} contains a line break or another control character")
    if len(text) > _MAX_NAME:
        raise CsvError(line, f"{column} is longer than {_MAX_NAME} characters")
    return text


def _clock(line: int, column: str, text: str) -> dt.time:
    try:
        if not _CLOCK.match(text):
            raise ValueError(text)
        return dt.time.fromisoformat(text)
    except ValueError:
        raise CsvError(line, f"bad {column} time {text!r}: expected HH:MM, like 08:00") from None


# --- deriving the site --------------------------------------------------------------------


def slugify(name: str) -> str:
    """An identifier from a name: "Kantor Imigrasi" -> "kantor-imigrasi"."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:_MAX_ID].rstrip("-")


def agency_ids(rows: Sequence[Row]) -> dict[str, str]:
    """Agency name -> unique id, in order of first appearance."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for row in rows:
        if row.agency in ids:
            continue
        base = slugify(row.agency) or "agency"
        candidate, n = base, 2
        while candidate in taken:
            suffix = f"-{n}"
            candidate = base[: _MAX_ID - len(suffix)].rstrip("-") + suffix
            n += 1
        ids[row.agency] = candidate
        taken.add(candidate)
    return ids


def schedule_id(opens: dt.time, closes: dt.time) -> str:
    return f"buka-{opens:%H%M}-{closes:%H%M}"


def _periods(opens: dt.time, closes: dt.time, pause: dt.time, resume: dt.time) -> list[str]:
    """opens-closes less the break pause-resume, as period texts; empty parts are dropped."""
    periods = []
    if opens < min(closes, pause):
        periods.append(f"{opens:%H:%M}-{min(closes, pause):%H:%M}")
    if max(opens, resume) < closes:
        periods.append(f"{max(opens, resume):%H:%M}-{closes:%H:%M}")
    return periods


# --- writing ------------------------------------------------------------------------------


def _string_list(items: Sequence[str]) -> str:
    return "[" + ", ".join(toml_string(item) for item in items) + "]"


def _comment(text: str) -> str:
    """Text safe inside a # comment: one line, no control characters."""
    return "".join(" " if ord(c) < 0x20 or ord(c) == 0x7F else c for c in text)


def render_site(rows: Sequence[Row], *, site_id: str, name: str, timezone: str, source: str) -> str:
    """The commented site TOML for these rows."""
    agencies = agency_ids(rows)
    schedules = list(dict.fromkeys((row.opens, row.closes) for row in rows))
    counter_numbers = sorted({number for row in rows for number in row.counters})

    out: list[str] = []
    add = out.append
    add(f"# Antre site configuration: {_comment(name)}")
    add(f"# Generated by antre-site-from-csv from {_comment(source)}.")
    add("# Add kiosks, displays, holidays and priority/queue rules by hand, then check the")
    add("# file with: antre-check-config FILE")
    add("# Every time in this file is local time in the site's time zone.")
    add("")
    add("[site]")
    add(f"id = {toml_string(site_id)}")
    add(f"name = {toml_string(name)}")
    add(f"timezone = {toml_string(timezone)}")
    add("# Hari libur: every service is closed on these dates, e.g. [2026-12-25, 2027-01-01].")
    add("holidays = []")
    add("")
    add("# Defaults apply while these tables are absent:")
    add("# [priority] priority_calls = 2, regular_calls = 1")
    add("# [queue] no_show_grace_minutes = 30, estimate_window = 10")
    add("")
    add("# --- Instansi (agencies) ---")
    for agency, agency_id in agencies.items():
        add("")
        add("[[agencies]]")
        add(f"id = {toml_string(agency_id)}")
        add(f"name = {toml_string(agency)}")
    add("")
    add("# --- Jadwal (weekly opening hours) ---")
    add("# A gap between two periods is a break: ishoma 12:00-13:00 Monday to Thursday,")
    add("# sholat Jumat 11:30-13:30 on Friday. Saturday and Sunday closed (tutup).")
    for opens, closes in schedules:
        add("")
        add("[[schedules]]")
        add(f"id = {toml_string(schedule_id(opens, closes))}")
        for days, pause, resume in _WEEK:
            periods = _string_list(_periods(opens, closes, pause, resume))
            for day in days:
                add(f"{day} = {periods}")
        for day in _CLOSED_DAYS:
            add(f"{day} = []")
    add("")
    add("# --- Layanan (services): one kiosk button each; tickets are numbered A001, A002, ...")
    add("# No daily_quota means no quota (tanpa kuota). Ticketing stops cutoff_minutes")
    add("# (default 30) before closing.")
    for row in rows:
        add("")
        add("[[services]]")
        add(f"prefix = {toml_string(row.prefix)}")
        add(f"name = {toml_string(row.service)}")
        add(f"agency = {toml_string(agencies[row.agency])}")
        add(f"schedule = {toml_string(schedule_id(row.opens, row.closes))}")
        if row.daily_quota is not None:
            add(f"daily_quota = {row.daily_quota}")
    add("")
    add("# --- Loket (counters): the services each counter calls ---")
    for number in counter_numbers:
        prefixes = [row.prefix for row in rows if number in row.counters]
        add("")
        add("[[counters]]")
        add(f"number = {number}")
        add(f"name = {toml_string(f'Loket {number}')}")
        add(f"services = {_string_list(prefixes)}")
    add("")
    return "\n".join(out)


# --- command line -------------------------------------------------------------------------


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="antre-site-from-csv",
        description="Write a site TOML file from a service catalogue CSV "
        f"(columns: {','.join(COLUMNS)}).",
    )
    parser.add_argument("csv", help="the service catalogue CSV, or - for standard input")
    parser.add_argument("-o", "--output", help="write here instead of to standard output")
    parser.add_argument("--site-id", default="mpp", help="site id for MQTT topics (default mpp)")
    parser.add_argument("--name", default="Mal Pelayanan Publik", help="the site's name")
    parser.add_argument(
        "--timezone", default="Asia/Makassar", help="IANA time zone (default Asia/Makassar, WITA)"
    )
    return parser.parse_args(argv)


def _fail(message: str) -> int:
    print(f"antre-site-from-csv: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    if not _IDENTIFIER.match(args.site_id):
        return _fail(f"bad --site-id {args.site_id!r}: lowercase letters, digits, - and _")
    if not 1 <= len(args.name) <= _MAX_NAME:
        return _fail(f"--name must be 1 to {_MAX_NAME} characters")
    try:
        ZoneInfo(args.timezone)
    except (ValueError, KeyError):
        return _fail(f"unknown --timezone {args.timezone!r} (try Asia/Makassar)")

    source = "<stdin>" if args.csv == "-" else args.csv
    try:
        if args.csv == "-":
            text = sys.stdin.read()
        else:
            text = Path(args.csv).read_text(encoding="utf-8-sig")
    except OSError as e:
        return _fail(f"{source}: cannot read the file ({e.strerror})")
    except UnicodeDecodeError:
        return _fail(f"{source}: the file is not UTF-8 text")

    try:
        rows = read_rows(text)
    except CsvError as e:
        return _fail(f"{source}: {e}")
    except csv.Error as e:
        return _fail(f"{source}: not a readable CSV ({e})")

    toml = render_site(
        rows,
        site_id=args.site_id,
        name=args.name,
        timezone=args.timezone,
        source=Path(source).name,
    )
    # The CSV checks should make this impossible; if they miss something, say so now
    # rather than let the site fail at start-up.
    try:
        parse_site(toml, source="<generated>")
    except ConfigError as e:
        return _fail(f"{source}: the generated site would not load: {e}")

    if args.output:
        try:
            Path(args.output).write_text(toml, encoding="utf-8")
        except OSError as e:
            return _fail(f"{args.output}: cannot write the file ({e.strerror})")
    else:
        sys.stdout.write(toml)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
