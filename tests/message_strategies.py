"""Hypothesis strategies: well-formed messages with extreme values, for every topic a
device may write (kiosk requests, counter commands, survey presses, statuses).

Well-formed: valid JSON objects with `"v": 1` and the fields of the contract, so they
reach the queue rules rather than stop at the decoder; extreme: numbers, dates, counts,
lengths, nesting and unicode at and beyond what a real device sends.
"""

import datetime as dt
import json
from typing import Any

from hypothesis import strategies as st

from contract.messages import MAX_RESERVE
from contract.topics import Topics
from tests.conftest import MONDAY

# Characters a device could put in a string: control characters, line separators,
# right-to-left marks, emoji, and plain text.
_ODD_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"])
    | st.sampled_from("\n\r\x1b\u2028\u202e"),
    min_size=0,
    max_size=80,
)
_IDS = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=64
) | st.sampled_from(["x\nALERT forged", "same-id", "0" * 64])
_PREFIXES = st.sampled_from(["A", "B", "E", "M", "Q", "X", "Z", "ZZ", "AA"])
_OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
_MOMENTS = st.one_of(
    st.datetimes(min_value=dt.datetime.min, max_value=dt.datetime.max, timezones=_OFFSETS),
    # around the test day, where the rules are decided
    st.datetimes(
        min_value=dt.datetime.combine(MONDAY, dt.time()) - dt.timedelta(days=1),
        max_value=dt.datetime.combine(MONDAY, dt.time()) + dt.timedelta(days=1),
        timezones=_OFFSETS,
    ),
).map(lambda moment: moment.isoformat())
_DAYS = st.sampled_from(["2026-11-30", "2026-11-29", "2026-12-01", "0001-01-01", "9999-12-31"])
_SEQS = st.one_of(st.integers(0, 120), st.integers(0, 2**63), st.sampled_from([2**63 - 1, 10**30]))
# Today's numbers near those given: where an offline ticket is taken in, and its print
# time read (drawn as often as all the odd ones together).
_TODAYS = st.builds(
    lambda prefix, seq: f"{MONDAY.isoformat()}/{prefix}{seq:03d}", _PREFIXES, st.integers(0, 60)
)
_TICKETS = st.one_of(
    _TODAYS,
    _TODAYS,
    _TODAYS,
    st.builds(lambda day, prefix, seq: f"{day}/{prefix}{seq:03d}", _DAYS, _PREFIXES, _SEQS),
    st.builds(lambda prefix, seq: f"{prefix}{seq:03d}", _PREFIXES, _SEQS),
    _ODD_TEXT.filter(lambda text: 1 <= len(text) <= 64),
)
_JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    _ODD_TEXT,
)
# Unknown fields a reader must skip: deep lists and objects.
_EXTRA = st.recursive(
    _JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_ODD_TEXT, inner, max_size=3),
    max_leaves=20,
)


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


_DEEP = st.sampled_from([10, 100, 300]).map(_nested)


def _message(**fields: Any) -> st.SearchStrategy[dict[str, Any]]:
    extra = st.dictionaries(st.sampled_from(["note", "x", "z"]), _EXTRA | _DEEP, max_size=2)
    return st.builds(
        lambda base, more: {**more, "v": 1, **base}, st.fixed_dictionaries(fields), extra
    )


KIOSK_REQUESTS = st.one_of(
    _message(
        type=st.just("issue"),
        id=_IDS,
        service=_PREFIXES,
        priority=st.booleans(),
        expires=st.none() | _MOMENTS,
    ),
    _message(type=st.just("cancel"), id=_IDS, ticket=_TICKETS, reason=_ODD_TEXT),
    _message(
        type=st.just("reserve"), id=_IDS, service=_PREFIXES, count=st.integers(1, MAX_RESERVE)
    ),
    _message(
        type=st.just("issue_offline"),
        id=_IDS,
        ticket=_TICKETS,
        issued_at=_MOMENTS,
        priority=st.booleans(),
    ),
)
COUNTER_COMMANDS = _message(
    id=_IDS,
    action=st.sampled_from(
        ["call_next", "recall", "skip", "finish", "transfer", "pause", "resume", "bring_back"]
    ),
    service=st.none() | _PREFIXES,
    ticket=st.none() | _TICKETS,
    clerk=_ODD_TEXT.filter(lambda text: len(text) <= 64),
)
SURVEY_PRESSES = _message(id=_IDS, rating=st.integers(1, 4))
STATUSES = _message(
    device=_ODD_TEXT,
    state=st.sampled_from(["online", "offline", "lost"]),
    version=_ODD_TEXT,
    at=_ODD_TEXT | _MOMENTS,
    health=st.dictionaries(
        st.sampled_from(["printer", "outbox", "reserved", "central"]) | _ODD_TEXT,
        st.one_of(
            st.booleans(),
            st.integers(-(2**63), 2**63 - 1),
            st.floats(allow_nan=False, allow_infinity=False),
            _ODD_TEXT,
            st.sampled_from(["paper_out", "cover_open", "offline", "ok"]),
        ),
        max_size=6,
    ),
)


def writable(topics: Topics) -> dict[str, tuple[str, st.SearchStrategy[dict[str, Any]]]]:
    """Each kind of topic an authorised device may write: (its topic, its messages)."""
    return {
        "kiosk": (topics.kiosk_request("kiosk-1"), KIOSK_REQUESTS),
        "counter": (topics.counter_command(1), COUNTER_COMMANDS),
        "survey": (topics.survey_press("survey-1"), SURVEY_PRESSES),
        "status": (topics.status("kiosk-1"), STATUSES),
    }


def encoded(message: dict[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False).encode()
