"""The REST API's own bodies, and its description as an OpenAPI 3.1 document.

OpenAPI 3.1 takes JSON Schema 2020-12 as it is, which is what msgspec writes: the
schemas of the contract's messages (`Answer`, `TicketInfo`, `QueueState`) are made
from the very Structs the central encodes, so the document cannot drift from them.
"""

import datetime as dt
from typing import Annotated, Any

import msgspec
from msgspec import Meta, Struct

from contract.messages import (
    Answer,
    CounterAction,
    QueueState,
    RequestId,
    ServicePrefix,
    TicketInfo,
)
from contract.reasons import Reason

API_PREFIX = "/api/v1"

# Codes of the API's own refusals, besides the contract's reasons.
UNAUTHORIZED = "unauthorized"
FORBIDDEN = "forbidden"
NOT_FOUND = "not_found"


class IssueBody(Struct, kw_only=True):
    """Take a ticket, as a kiosk button does (`priority`: lansia, disabilitas, ...).

    `id`, when given, makes the request safe to retry: the same id (per token's user)
    is answered with the same ticket and never issues a second one.
    """

    service: ServicePrefix
    priority: bool = False
    id: RequestId | None = None


class CommandBody(Struct, kw_only=True):
    """A counter command, as in the MQTT contract: `service` is the target of a
    `transfer`, `ticket` the ticket (id or today's number, e.g. "A023") to `bring_back`.
    `id`, when given, makes the command safe to retry."""

    action: CounterAction
    service: ServicePrefix | None = None
    ticket: Annotated[str, Meta(max_length=64)] | None = None
    id: RequestId | None = None


class ImportBody(Struct, kw_only=True):
    """A booking taken by another system. `source` names that system and `external_id`
    is its own id for the booking: the same pair again gives the same booking (200), the
    same pair with other details is refused (409, `import_conflict`)."""

    source: Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9._-]{0,39}$")]
    external_id: Annotated[str, Meta(min_length=1, max_length=59)]
    service: ServicePrefix
    day: dt.date
    # The slot's start, local time, e.g. "08:30".
    slot: Annotated[str, Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    name: Annotated[str, Meta(min_length=1, max_length=120)]
    # 16 digits; kept only as a keyed hash.
    nik: Annotated[str, Meta(min_length=16, max_length=24)]
    phone: Annotated[str, Meta(max_length=20)] = ""


class BookingInfo(Struct, kw_only=True):
    """A booking as the API shows it (never its NIK): its code for the citizen (and the
    QR), the slot, the check-in window and where it stands."""

    code: str
    service: str
    day: dt.date
    slot: str
    state: str
    check_in_from: dt.datetime
    check_in_until: dt.datetime
    source: str | None = None
    external_id: str | None = None


class Problem(Struct, kw_only=True):
    """A refusal or an error: a code, and words in Bahasa Indonesia and English."""

    ok: bool = False
    reason: str
    message: str
    message_en: str


_REF = "#/components/schemas/{name}"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF.format(name=name)}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _problem(description: str) -> dict[str, Any]:
    return _json("Problem", description)


_REFUSED = {
    "422": _problem("Refused: an unknown service, counter or ticket (`reason` says which)."),
    "409": _problem("Refused by the queue rules now, e.g. `closed`, `quota_full`."),
    "503": _problem("`unavailable`: the central cannot save; nothing was done."),
}
_COMMON = {
    "400": _problem("`bad_request`: not JSON, or a field missing or invalid (`message`)."),
    "401": {"$ref": "#/components/responses/Unauthorized"},
}


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route under /api/v1."""
    _, schemas = msgspec.json.schema_components(
        [QueueState, TicketInfo, Answer, IssueBody, CommandBody, ImportBody, BookingInfo, Problem],
        ref_template=_REF,
    )
    reasons = ", ".join(f"`{reason.value}`" for reason in Reason)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Antre API",
            "version": "1",
            "description": (
                "The queue of one Mal Pelayanan Publik: the same operations and answers as "
                "the MQTT contract (docs/protocol.md). Every call but this document needs "
                "`Authorization: Bearer <token>`; an administrator makes tokens on the "
                "Petugas page. A clerk's token works only at that clerk's counters.\n\n"
                f"Refusal reasons: {reasons}; and the API's own `{UNAUTHORIZED}`, "
                f"`{FORBIDDEN}`, `{NOT_FOUND}`. Times are ISO 8601 in the site's time zone."
            ),
        },
        "security": [{"bearer": []}],
        "paths": {
            f"{API_PREFIX}/state": {
                "get": {
                    "operationId": "getState",
                    "summary": "The queues now: the retained MQTT `state`",
                    "description": "`seq` rises with every change, across restarts too.",
                    "responses": {
                        "200": _json("QueueState", "Waiting counts, counters, recent calls."),
                        **_COMMON,
                    },
                }
            },
            f"{API_PREFIX}/tickets": {
                "post": {
                    "operationId": "issueTicket",
                    "summary": "Take a ticket for a service",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("IssueBody")}},
                    },
                    "responses": {
                        "201": _json("TicketInfo", "The new ticket and its place in the queue."),
                        **_COMMON,
                        **_REFUSED,
                    },
                }
            },
            f"{API_PREFIX}/tickets/{{ticket_id}}": {
                "get": {
                    "operationId": "getTicket",
                    "summary": "One ticket of today and its place in the queue",
                    "parameters": [
                        {
                            "name": "ticket_id",
                            "in": "path",
                            "required": True,
                            "description": (
                                "A ticket id such as `2026-11-30/A001` (the slash as is or "
                                "as `%2F`), or today's number such as `A001`."
                            ),
                            "schema": {"type": "string", "minLength": 1, "maxLength": 64},
                        }
                    ],
                    "responses": {
                        "200": _json("TicketInfo", "The ticket."),
                        "404": _problem("`unknown_ticket`: no such ticket today."),
                        **_COMMON,
                    },
                }
            },
            f"{API_PREFIX}/counters/{{number}}/commands": {
                "post": {
                    "operationId": "counterCommand",
                    "summary": "A counter's action: call_next, recall, skip, finish, ...",
                    "description": (
                        "Answered like `counter/<number>/answer` over MQTT. `call_next` on "
                        "an empty queue while serving someone finishes that ticket and "
                        'answers `"ok": true, "reason": "queue_empty"` with that ticket, '
                        "now finished."
                    ),
                    "parameters": [
                        {
                            "name": "number",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("CommandBody")}},
                    },
                    "responses": {
                        "200": _json("Answer", "Done; `ticket` is the ticket it is about."),
                        "400": _json("Answer", "`bad_request`: the body is not a command."),
                        "401": {"$ref": "#/components/responses/Unauthorized"},
                        "403": _problem("`forbidden`: not one of this clerk's counters."),
                        "404": _problem("`unknown_counter`: no such counter."),
                        "409": _json("Answer", "Refused by the queue rules (`reason`)."),
                        "422": _json("Answer", "Refused: an unknown service or ticket."),
                        "503": _json("Answer", "`unavailable`: nothing was done."),
                    },
                }
            },
            f"{API_PREFIX}/bookings": {
                "post": {
                    "operationId": "importBooking",
                    "summary": "Import a booking taken by another system (idempotent)",
                    "description": (
                        "Books as the public pages do, under the same rules (the slot must "
                        "still be open, one booking per NIK, service and day). The pair "
                        "(`source`, `external_id`) makes it idempotent: sent again with the "
                        "same details it answers 200 with the same booking; with other "
                        "details 409 `import_conflict`, and the first booking stands."
                    ),
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("ImportBody")}},
                    },
                    "responses": {
                        "201": _json("BookingInfo", "Booked: the code to give the citizen."),
                        "200": _json("BookingInfo", "Imported before: the same booking."),
                        **_COMMON,
                        "409": _problem(
                            "Refused: `import_conflict`, or the booking rules now "
                            "(`slot_full`, `nik_already_booked`, `booking_closed`, ...)."
                        ),
                        "422": _problem(
                            "Refused: `unknown_service`, `not_bookable`, `unknown_slot` or "
                            "`bad_nik`."
                        ),
                        "503": _problem("`unavailable`: the central cannot save; nothing done."),
                    },
                }
            },
            f"{API_PREFIX}/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI 3.1 document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token made for a staff account (shown once).",
                }
            },
            "responses": {
                "Unauthorized": {
                    **_problem("`unauthorized`: no token, or not a valid one."),
                    "headers": {
                        "WWW-Authenticate": {
                            "schema": {"type": "string"},
                            "description": "`Bearer`",
                        }
                    },
                }
            },
        },
    }
