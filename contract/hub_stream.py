"""What a site's central sends a region's hub, and what the hub answers: MQTT 5, QoS 1.

| topic                          | from         | to           | retained |
| ------------------------------ | ------------ | ------------ | -------- |
| antre-hub/v1/<site>/records    | site central | hub          | no       |
| antre-hub/v1/<site>/acked      | hub          | site central | yes      |

The site's Mosquitto bridges these two topics to the hub's broker (`records` out, `acked`
in) with one credential per site; the hub's ACL lets a site write only its own `records`
and read only its own `acked`. The bridge is a transport, never the store: each record
carries a gapless per-site sequence (`seq`, from 1), the hub stores a record once per
(site, seq) and publishes, retained, the highest sequence it holds with no gap below it;
the site sends again everything after that. Hub processes share the ingest through the
shared subscription `HubTopics.shared_records`.

Times are ISO 8601 with their UTC offset; days are the site's local dates.
"""

from dataclasses import dataclass
from typing import Annotated

from msgspec import Meta, Struct

from contract.site import Identifier

HUB_ROOT = "antre-hub/v1"
RECORDS = "records"
ACKED = "acked"
# The shared-subscription group every hub process joins.
SHARE_GROUP = "antre-hub"
# The most records one batch carries: a batch stays far below any broker's packet limit.
MAX_BATCH = 200

Seq = Annotated[int, Meta(ge=1)]


@dataclass(frozen=True, slots=True)
class HubTopics:
    """The hub topics of one site."""

    site: str

    @property
    def records(self) -> str:
        return f"{HUB_ROOT}/{self.site}/{RECORDS}"

    @property
    def acked(self) -> str:
        return f"{HUB_ROOT}/{self.site}/{ACKED}"

    @staticmethod
    def all_records() -> str:
        return f"{HUB_ROOT}/+/{RECORDS}"

    @staticmethod
    def shared_records() -> str:
        return f"$share/{SHARE_GROUP}/{HUB_ROOT}/+/{RECORDS}"


# -- what a record holds ----------------------------------------------------------------


class QueueEvent(Struct, kw_only=True, tag_field="type", tag="event"):
    """One row of the central's event history (`broker/engine/events.py`), with the
    ticket's times as they stood after it, so the hub needs no second lookup."""

    kind: str
    at: str
    day: str
    actor: str
    ticket_id: str | None = None
    number: str | None = None
    service: str | None = None
    state: str | None = None
    counter: int | None = None
    detail: str = ""
    priority: bool = False
    issued_at: str | None = None
    called_at: str | None = None
    # A booked citizen's slot, its start as a time like the others (ISO 8601 with its
    # offset: "HH:MM" alone is no moment without the site's time zone): their wait
    # counts from it, not from issued_at. None for a walk-in.
    slot: str | None = None


class SurveyPressRecord(Struct, kw_only=True, tag_field="type", tag="survey_press"):
    """A press of a counter's survey unit (`mark`: counted, already_rated, no_ticket)."""

    at: str
    day: str
    unit: str
    rating: Annotated[int, Meta(ge=1, le=4)]
    mark: str
    ticket_id: str | None = None
    counter: int | None = None
    service: str | None = None
    agency: str | None = None


class SurveyResponseRecord(Struct, kw_only=True, tag_field="type", tag="survey_response"):
    """A nine-element SKM form, ratings 1-4 in the regulation's order U1..U9."""

    ticket_id: str
    at: str
    day: str
    service: str
    agency: str
    counter: int | None = None
    ratings: Annotated[list[Annotated[int, Meta(ge=1, le=4)]], Meta(min_length=9, max_length=9)]


class ServiceSetting(Struct, kw_only=True):
    prefix: str
    name: str
    agency: str


class CounterSetting(Struct, kw_only=True):
    number: int
    name: str
    services: list[str]


class SiteSettings(Struct, kw_only=True, tag_field="type", tag="settings"):
    """The site's name, time zone, services and counters: sent at the first start and
    again whenever a manager changes them."""

    at: str
    name: str
    timezone: str
    services: list[ServiceSetting]
    counters: list[CounterSetting]


class DeviceStates(Struct, kw_only=True, tag_field="type", tag="devices"):
    """Every device the central knows and its state (`contract.health.DeviceState`),
    sent whenever one changes."""

    at: str
    devices: dict[str, str]


RecordBody = QueueEvent | SurveyPressRecord | SurveyResponseRecord | SiteSettings | DeviceStates


class Record(Struct, kw_only=True):
    seq: Seq
    body: RecordBody


class RecordBatch(Struct, kw_only=True):
    """Records of one site in rising `seq`, not necessarily starting after the hub's
    acknowledgement (a resend overlaps): the hub keeps each (site, seq) once."""

    v: int = 1
    site: Identifier
    records: Annotated[list[Record], Meta(min_length=1, max_length=MAX_BATCH)]


class Acked(Struct, kw_only=True):
    """Retained by the hub: it holds every record of `site` up to `up_to` (0: none)."""

    v: int = 1
    site: Identifier
    up_to: Annotated[int, Meta(ge=0)]
    at: str = ""
