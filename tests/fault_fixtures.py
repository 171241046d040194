"""What the fault suites share: the central's saved rows read straight from its SQLite
file, a full disk (SQLite's `PRAGMA max_page_count`), and random JSON with the strings
that break naive code; a Flask test client logged in with its CSRF token."""

from __future__ import annotations

import random
import sqlite3
import string
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from broker.store.sqlite_store import SqliteStore
from contract.messages import Answer
from contract.reasons import Reason, reason_text
from tests.web_fixtures import PASSWORD

UNAVAILABLE_ID = "Sistem antrean sedang gangguan, silakan hubungi petugas"
# SQLite's default ceiling: space again.
NO_LIMIT = 1073741823


def stored(db: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], int]:
    """The saved tickets and counters, whole rows, and how many events the history has."""
    connection = sqlite3.connect(db)
    try:
        tickets = connection.execute("SELECT * FROM tickets ORDER BY id").fetchall()
        counters = connection.execute("SELECT * FROM counters ORDER BY number").fetchall()
        (events,) = connection.execute("SELECT count(*) FROM events").fetchone()
        return tickets, counters, events
    finally:
        connection.close()


def stored_tickets(db: Path) -> list[tuple[Any, ...]]:
    return stored(db)[0]


def fill_the_disk(store: SqliteStore) -> None:
    """No page beyond those the file has: the next write that needs one fails."""
    (pages,) = store._db.execute("PRAGMA page_count").fetchone()
    store._db.execute(f"PRAGMA max_page_count = {pages}")


def free_the_disk(store: SqliteStore) -> None:
    store._db.execute(f"PRAGMA max_page_count = {NO_LIMIT}")


def assert_numbered_once(db: Path) -> None:
    """Each service's numbers are 1..n: none given twice, none skipped."""
    by_prefix: dict[str, list[int]] = {}
    connection = sqlite3.connect(db)
    try:
        for prefix, seq in connection.execute("SELECT prefix, seq FROM tickets"):
            by_prefix.setdefault(prefix, []).append(seq)
    finally:
        connection.close()
    for prefix, seqs in by_prefix.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), f"numbers of {prefix}: {seqs}"


def assert_unavailable(answer: Answer) -> None:
    """Refused, and saying why in Bahasa Indonesia (and English), with nothing issued."""
    assert (answer.ok, answer.reason) == (False, Reason.UNAVAILABLE.value)
    assert answer.message == UNAVAILABLE_ID == reason_text(Reason.UNAVAILABLE)
    assert answer.message_en == reason_text(Reason.UNAVAILABLE, "en")
    assert answer.ticket is None


WEIRD_STRINGS = [
    "",
    " ",
    "A",
    "ZZ",
    "a",
    "A1",
    "Ä",
    "\u0000",
    "\ud7ff",
    "🎫",
    "'; DROP TABLE tickets; --",
    "../../etc/passwd",
    "%s%n",
    "x" * 65,
    "y" * 5000,
    "2026-11-30/A001",
    "2026-13-45T99:99:99",
    "null",
]


def random_json(rng: random.Random, depth: int = 0) -> Any:
    """Any JSON value, nested a little."""
    kinds = ["int", "float", "str", "bool", "null"] + (["list", "dict"] if depth < 3 else [])
    kind = rng.choice(kinds)
    if kind == "int":
        return rng.choice([0, -1, 1, 2**31, -(2**63), 2**64, rng.randint(-1000, 1000)])
    if kind == "float":
        return rng.choice([0.5, -1e308, 1e308, rng.uniform(-10, 10)])
    if kind == "str":
        return rng.choice([*WEIRD_STRINGS, "".join(rng.choices(string.printable, k=20))])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "list":
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {
        rng.choice(["v", "id", "type", "x", "", "ünï"]): random_json(rng, depth + 1)
        for _ in range(rng.randint(0, 4))
    }


def mutated(rng: random.Random, message: dict[str, Any]) -> Any:
    """A valid message with one to three things wrong with it."""
    changed: Any = dict(message)
    for _ in range(rng.randint(1, 3)):
        if not isinstance(changed, dict):
            break
        key = rng.choice([*changed, "v", "id", "type", "action", "service", "extra"])
        what = rng.random()
        if what < 0.3:
            changed.pop(key, None)
        elif what < 0.8:
            changed[key] = random_json(rng)
        elif what < 0.9:
            changed = [changed]
        else:
            changed[key] = rng.choice(WEIRD_STRINGS)
    return changed


def log_in_as(client: FlaskClient, username: str) -> bool:
    """Logs in (False when refused: the fuzzing may have changed or locked the account)."""
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(client) or ""},
    )
    return bool(response.status_code == 302)


def csrf_token(client: FlaskClient) -> str | None:
    """The session's CSRF token, made by opening the login page if it has none yet."""
    with client.session_transaction() as session:
        token = session.get("csrf")
    if not isinstance(token, str):
        client.get("/login")
        with client.session_transaction() as session:
            token = session.get("csrf")
    return token if isinstance(token, str) else None
