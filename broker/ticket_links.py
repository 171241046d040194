"""The citizen's ticket page address: unguessable, yet needing no table.

The token is an HMAC of the ticket id under the central's secret: nobody can make
the token of a ticket they do not hold, and the central can always make it again,
for a ticket just issued or for the reserved numbers a kiosk prints offline.
"""

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path

from broker.engine.engine import QueueEngine, Refused
from broker.engine.tickets import Ticket

TOKEN_BYTES = 15  # 120 bits: 24 characters in base32


class TicketLinks:
    """Tokens and URLs of the public ticket pages."""

    def __init__(self, secret: bytes, url_base: str) -> None:
        if len(secret) < 16:
            raise ValueError("the ticket link secret must have at least 16 bytes")
        self._secret = secret
        self.url_base = url_base
        self._known: dict[str, str] = {}

    def token(self, ticket_id: str) -> str:
        digest = hmac.new(self._secret, ticket_id.encode(), hashlib.sha256).digest()
        token = base64.b32encode(digest[:TOKEN_BYTES]).decode().lower()
        self._known[token] = ticket_id
        return token

    def url(self, ticket_id: str) -> str:
        return self.url_base + self.token(ticket_id)

    def find(self, engine: QueueEngine, token: str) -> Ticket | None:
        """Today's ticket behind a token, or None (a wrong token or another day's)."""
        ticket_id = self.ticket_id(token, lambda: [ticket.id for ticket in engine.tickets()])
        if ticket_id is None:
            return None
        try:
            return engine.ticket(ticket_id)
        except Refused:  # a ticket of another day
            return None

    def ticket_id(self, token: str, today: Callable[[], Iterable[str]]) -> str | None:
        """The id behind a token: one handed out, or else one of `today()`'s ticket ids."""
        ticket_id = self._known.get(token)
        if ticket_id is None:
            # Not handed out by this process (it restarted): make today's tokens again.
            for candidate in today():
                self.token(candidate)
            ticket_id = self._known.get(token)
        return ticket_id


def load_secret(path: Path) -> bytes:
    """The secret in `path`, made (0600) on first use and kept across restarts."""
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(secret)
    return secret
