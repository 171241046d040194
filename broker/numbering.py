"""Today's last numbers, as Mosquitto keeps them: what a restored central numbers on after.

A central restored from a backup older than the day's last tickets must not give a number
twice. Before it gives one (see `broker.central`), it reads the retained messages: its own
last queue state (`numbered_up_to` per service) and the kiosks' statuses (the highest
number each holds in reserve), and numbers on after the highest of today.
"""

import datetime as dt
import logging
from collections.abc import Iterable, Mapping

from broker.engine.engine import QueueEngine
from broker.engine.tickets import parse_ticket_id
from contract.health import HealthKey
from contract.messages import MAX_RESERVE, BadMessage, DeviceStatus, QueueState, decode

log = logging.getLogger(__name__)


def known_numbers(
    day: dt.date,
    last: Mapping[str, int],
    state: QueueState | None,
    statuses: Iterable[DeviceStatus],
) -> dict[str, int]:
    """The highest number of `day` per prefix that Mosquitto's retained messages tell of,
    beside `last` (the file's): the last queue state (if of that day; only the central
    writes it) and the kiosks' reserves. A kiosk writes its own status, so a reserve it
    reports counts only within one reserve (`MAX_RESERVE`) of the highest number known
    otherwise: a broken or hostile kiosk cannot push a day's numbering away."""
    highest = dict(last)
    if state is not None and state.day == day.isoformat():
        for view in state.services:
            if view.prefix in highest:
                highest[view.prefix] = max(highest[view.prefix], view.numbered_up_to)
    reported: dict[str, int] = {}
    for status in statuses:
        reserved = status.health.get(HealthKey.RESERVED_UP_TO)
        for word in reserved.split() if isinstance(reserved, str) else []:
            parsed = parse_ticket_id(word)
            if parsed is None or parsed[0] != day or parsed[1] not in highest:
                continue
            _, prefix, seq = parsed
            if seq > highest[prefix] + MAX_RESERVE:
                log.warning(
                    "ignored %s's reserve %s: beyond any reserve of today",
                    status.device,
                    word,
                )
                continue
            reported[prefix] = max(seq, reported.get(prefix, 0))
    for prefix, seq in reported.items():
        highest[prefix] = max(highest[prefix], seq)
    return highest


def day_and_last_numbers(engine: QueueEngine) -> tuple[dt.date, dict[str, int]]:
    return engine.day, {
        prefix: engine.last_number(prefix) for prefix in engine.site.services_by_prefix
    }


def state_or_none(payload: bytes) -> QueueState | None:
    try:
        return decode(payload, QueueState)
    except BadMessage as e:
        log.warning("dropped the retained queue state: %s", e)
        return None
