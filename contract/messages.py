"""MQTT payloads of the contract: JSON objects with `"v": 1`, typed at the edge.

Adding a field never bumps `v`: readers ignore fields they do not know. A message
of an unknown major version is logged and dropped (`decode` raises `BadMessage`).
`docs/protocol.md` shows each one with an example.
"""

import datetime as dt
import json
import re
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from msgspec import Meta, Struct

from contract.errors import AntreError
from contract.health import DeviceState

VERSION = 1
# The central refuses larger payloads itself (answering `bad_request` when it can read the
# id); Mosquitto's own limit (`max_packet_size`, 256 KiB) is far above it.
MAX_PAYLOAD_BYTES = 8 * 1024
# The most numbers one `reserve` sets aside: also how far beyond the highest number it
# knows the central takes in an offline ticket of a reserve it has no record of.
MAX_RESERVE = 50

RequestId = Annotated[str, Meta(min_length=1, max_length=64)]
ServicePrefix = Annotated[str, Meta(pattern=r"^[A-Z]{1,2}$")]


class BadMessage(AntreError, ValueError):
    """A payload that is not a valid message of this contract."""

    def __init__(self, problem: str, request_id: str | None = None) -> None:
        self.problem = problem
        # The id, when it could be read, so the sender can still be answered.
        self.request_id = request_id
        super().__init__(problem)


class _Message(Struct, kw_only=True, omit_defaults=False):
    v: int = VERSION


# -- kiosk -> central -------------------------------------------------------------------


class IssueTicket(_Message, tag_field="type", tag="issue"):
    """A citizen pressed a service button (after the priority button, if `priority`)."""

    id: RequestId
    service: ServicePrefix
    priority: bool = False
    # The moment, on the central's clock, after which the kiosk has given up waiting and
    # printed a reserved number instead: the central then issues nothing (`expired`), so a
    # press the kiosk gave up on never costs a number. None: no limit.
    expires: Annotated[dt.datetime, Meta(tz=True)] | None = None


class CancelTicket(_Message, tag_field="type", tag="cancel"):
    """The kiosk could not print a ticket it was given: withdraw its number."""

    id: RequestId
    ticket: Annotated[str, Meta(min_length=1, max_length=64)]
    reason: Annotated[str, Meta(max_length=200)] = ""


class ReserveNumbers(_Message, tag_field="type", tag="reserve"):
    """Set numbers aside, so the kiosk can still print tickets if it loses the central."""

    id: RequestId
    service: ServicePrefix
    count: Annotated[int, Meta(ge=1, le=MAX_RESERVE)] = 5


class IssueOffline(_Message, tag_field="type", tag="issue_offline"):
    """A ticket printed from a reserved number while the central could not be reached."""

    id: RequestId
    ticket: Annotated[str, Meta(min_length=1, max_length=64)]
    # When it was printed, with its UTC offset: its place in the queue.
    issued_at: Annotated[dt.datetime, Meta(tz=True)]
    priority: bool = False


class CheckIn(_Message, tag_field="type", tag="check_in"):
    """A citizen who booked scanned their booking's code (QR or barcode) at the kiosk."""

    id: RequestId
    # The code as the scanner read it, e.g. "E-7K3M9Q" (`contract.booking_code`); the
    # central reads it loosely, the kiosk sends what it read.
    code: Annotated[str, Meta(min_length=1, max_length=64)]
    # Sent late, from the kiosk's outbox, when the central could not be reached at the
    # scan: the kiosk printed `offline_ticket` (already sent as `issue_offline`) from its
    # reserve of the code's service, and the booking is tied to that ticket, its window
    # judged at `scanned_at` (the kiosk's clock). See docs/kiosk.md.
    offline_ticket: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    scanned_at: Annotated[dt.datetime, Meta(tz=True)] | None = None


KioskRequest = IssueTicket | CancelTicket | ReserveNumbers | IssueOffline | CheckIn


# -- counter -> central -----------------------------------------------------------------

CounterAction = Literal[
    "call_next", "recall", "skip", "finish", "transfer", "pause", "resume", "bring_back"
]


class CounterCommand(_Message):
    """A clerk's action at a counter. `service` is the target of a transfer, `ticket`
    the ticket id (or number, e.g. "A023") to bring back."""

    id: RequestId
    action: CounterAction
    service: ServicePrefix | None = None
    ticket: Annotated[str, Meta(max_length=64)] | None = None
    clerk: Annotated[str, Meta(max_length=64)] = ""


# -- central -> kiosk or counter --------------------------------------------------------


class TicketInfo(Struct, kw_only=True):
    """A ticket as a kiosk prints it or a counter shows it."""

    id: str
    number: str
    service: str
    service_name: str
    agency: str
    priority: bool
    state: str
    issued_at: str
    # People ahead and the estimated wait in whole minutes (None: no open counter).
    ahead: int
    wait_minutes: int | None
    counters: list[int]
    counter: int | None = None
    # The ticket's public status page (its QR code); empty when the central has none.
    url: str = ""
    # The range the real wait should fall in, 8 times in 10, in whole minutes (steps of
    # five: 20 and 35 for "20-35 menit"); `wait_minutes` lies within it. None when there
    # is no estimate, and from a central older than the range.
    wait_min_minutes: int | None = None
    wait_max_minutes: int | None = None
    # A booked citizen's ticket (after `check_in`): the booking's slot, "HH:MM" in the
    # site's time, printed on the ticket. None for a walk-in.
    slot: str | None = None


class Answer(_Message):
    """The central's answer to one request or command, by its id."""

    id: str
    ok: bool
    # On refusal: a reason code (`contract.reasons.Reason`) and words for people.
    reason: str | None = None
    message: str = ""
    message_en: str = ""
    ticket: TicketInfo | None = None
    # The numbers set aside by a `reserve` request.
    reserved: list[TicketInfo] = []
    # A `check_in` refused as `too_early`: from when the booking can check in, ISO 8601
    # with the site's offset.
    check_in_from: str | None = None


# -- central -> everyone ----------------------------------------------------------------


class ServiceView(Struct, kw_only=True):
    prefix: str
    name: str
    agency: str
    waiting: int
    # The last number called for this service, for "now serving" boards.
    last_called: str | None = None
    # The highest sequence given today (issued or set aside for a kiosk): a central
    # restored from an older backup numbers on after it.
    numbered_up_to: int = 0


class CounterView(Struct, kw_only=True):
    number: int
    name: str
    paused: bool
    serving: str | None = None
    service: str | None = None


class CallEvent(_Message):
    """One call or recall: published on `calls` (displays announce it once, by id)
    and listed in the state's recent calls."""

    id: str
    kind: Literal["called", "recalled"]
    number: str
    service: str
    counter: int
    counter_name: str
    at: str
    recalls: int = 0


class QueueState(_Message):
    """The retained picture of the queues; `seq` rises with every change."""

    seq: int
    site: str
    day: str
    at: str
    services: list[ServiceView]
    counters: list[CounterView]
    recent: list[CallEvent]
    notice: str = ""


# -- survey unit -> central -------------------------------------------------------------


class SurveyPress(_Message):
    """A citizen pressed a survey unit's button: 4 sangat puas, 3 puas, 2 kurang puas,
    1 tidak puas. The central ties it to the ticket its counters finished last."""

    id: RequestId
    rating: Annotated[int, Meta(ge=1, le=4)]


# -- every device -> central ------------------------------------------------------------


class DeviceStatus(_Message):
    """Retained per device; Mosquitto publishes `lost` as its last will."""

    device: str
    state: DeviceState
    version: str = ""
    at: str = ""
    # Health figures by `contract.health.HealthKey`, e.g. {"printer": "paper_out",
    # "outbox": 0}; a device may add its own.
    health: dict[str, str | int | float | bool] = {}


# -- encoding ---------------------------------------------------------------------------

M = TypeVar("M")

_encoder = msgspec.json.Encoder()


class _Envelope(Struct):
    """The two fields read before anything else: the version and the id."""

    v: Any = None
    id: Any = None


def encode(message: Struct) -> bytes:
    return _encoder.encode(message)


def decode(payload: bytes, kind: type[M]) -> M:
    """Reads a payload as `kind`, or raises `BadMessage` saying what is wrong."""
    message: M = _decode(payload, kind)
    return message


def decode_kiosk_request(payload: bytes) -> KioskRequest:
    """Reads a kiosk's request, its kind told apart by `type`."""
    request: KioskRequest = _decode(payload, KioskRequest)
    return request


_TOO_DEEP = "nested too deeply to read"


def _decode(payload: bytes, kind: Any) -> Any:
    # Read even when too large, for the id: the sender is answered instead of resending a
    # message nobody will ever take.
    try:
        envelope = msgspec.json.decode(payload, type=_Envelope)
    except msgspec.DecodeError as e:
        raise BadMessage(f"not a JSON object: {e}") from e
    except RecursionError as e:
        raise BadMessage(_TOO_DEEP, _top_level_id(payload)) from e
    request_id = envelope.id if _is_request_id(envelope.id) else None
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise BadMessage(f"payload of {len(payload)} bytes is over {MAX_PAYLOAD_BYTES}", request_id)
    if envelope.v is None:
        raise BadMessage('missing "v": every message carries the contract version', request_id)
    if envelope.v != VERSION:
        raise BadMessage(f"unsupported version v={envelope.v!r} (this speaks v={VERSION})")
    try:
        return msgspec.json.decode(payload, type=kind)
    except msgspec.ValidationError as e:
        raise BadMessage(str(e), request_id) from e
    except RecursionError as e:
        raise BadMessage(_TOO_DEEP, request_id) from e


def _is_request_id(value: Any) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 64


# A JSON string, or one of the characters that give a JSON text its structure.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]')


def _top_level_id(payload: bytes) -> str | None:
    """The top-level `id` of a payload too deeply nested for the decoder, found by a scan
    that keeps no stack (so no depth stops it); None when there is none to trust."""
    try:
        text = payload.decode()
    except UnicodeDecodeError:
        return None
    depth = 0
    tokens = [match[0] for match in _JSON_TOKEN.finditer(text)]
    for at, token in enumerate(tokens):
        if token in "{[":
            depth += 1
        elif token in "}]":
            depth -= 1
        elif depth == 1 and token == '"id"' and tokens[at + 1 : at + 2] == [":"]:
            value = tokens[at + 2] if at + 2 < len(tokens) else ""
            if value.startswith('"'):
                found = json.loads(value)
                return found if _is_request_id(found) else None
    return None
