"""Builders of the records a site sends its hub, for the hub's tests."""

from __future__ import annotations

from contract.hub_stream import (
    CounterSetting,
    DeviceStates,
    QueueEvent,
    Record,
    RecordBatch,
    ServiceSetting,
    SiteSettings,
    SurveyResponseRecord,
)

DAY = "2026-12-07"
OFFSET = "+08:00"


def clock(hour: int, minute: int = 0) -> str:
    """A time on DAY in WITA."""
    return f"{DAY}T{hour:02d}:{minute:02d}:00{OFFSET}"


def issued(seq: int, ticket: str, service: str = "A", hour: int = 9, minute: int = 0) -> Record:
    return Record(
        seq=seq,
        body=QueueEvent(
            kind="issued", at=clock(hour, minute), day=DAY, actor="kiosk-1", ticket_id=ticket,
            number=ticket, service=service, state="waiting", issued_at=clock(hour, minute),
        ),
    )  # fmt: skip


def called(
    seq: int, ticket: str, waited_minutes: int, service: str = "A", counter: int = 1
) -> Record:
    """The call of a ticket issued at 09:00 after `waited_minutes`."""
    return Record(
        seq=seq,
        body=QueueEvent(
            kind="called", at=clock(9, waited_minutes), day=DAY, actor=f"counter-{counter}",
            ticket_id=ticket, number=ticket, service=service, state="called", counter=counter,
            issued_at=clock(9), called_at=clock(9, waited_minutes),
        ),
    )  # fmt: skip


def finished(seq: int, ticket: str, service: str = "A", counter: int = 1) -> Record:
    return Record(
        seq=seq,
        body=QueueEvent(
            kind="finished", at=clock(10), day=DAY, actor=f"counter-{counter}", ticket_id=ticket,
            number=ticket, service=service, state="finished", counter=counter,
            issued_at=clock(9),
        ),
    )  # fmt: skip


def response(seq: int, ratings: list[int], service: str = "A", agency: str = "dukcapil") -> Record:
    return Record(
        seq=seq,
        body=SurveyResponseRecord(
            ticket_id=f"t{seq}", at=clock(11), day=DAY, service=service, agency=agency,
            ratings=ratings,
        ),
    )  # fmt: skip


def settings(seq: int, name: str, timezone: str = "Asia/Makassar") -> Record:
    return Record(
        seq=seq,
        body=SiteSettings(
            at=clock(8), name=name, timezone=timezone,
            services=[ServiceSetting(prefix="A", name="KTP elektronik", agency="dukcapil")],
            counters=[CounterSetting(number=1, name="Loket 1", services=["A"])],
        ),
    )  # fmt: skip


def devices(seq: int, states: dict[str, str]) -> Record:
    return Record(seq=seq, body=DeviceStates(at=clock(9), devices=states))


def batch(site: str, *records: Record) -> RecordBatch:
    return RecordBatch(site=site, records=list(records))


def numbered_events(site: str, first: int, last: int) -> RecordBatch:
    """Issue events seq first..last, one ticket each (service A)."""
    return batch(site, *(issued(seq, f"A{seq:03d}") for seq in range(first, last + 1)))
