"""The NIK (Nomor Induk Kependudukan), checked and kept only as a keyed hash.

A booking must hold one active booking per NIK, service and day, yet a leaked database
must not leak NIKs. An HMAC-SHA256 under a secret that lives beside the database (not in
it, so a copy of the file alone gives nothing) lets the central compare NIKs without
keeping them; with only 10^16 possible NIKs a plain hash could be reversed by trying
them all.
"""

import hashlib
import hmac
import re
from pathlib import Path

from broker.engine.engine import Refused
from broker.ticket_links import load_secret
from contract.reasons import Reason

# The file, beside the central's database, that holds the key (made 0600 on first use).
NIK_SECRET_FILE = "booking-nik.secret"

_NIK = re.compile(r"^[0-9]{16}$")


def checked_nik(text: str) -> str:
    """The NIK's 16 digits (spaces, dots and dashes people type are dropped), or
    `Refused(BAD_NIK)`."""
    digits = re.sub(r"[\s.\-]", "", text)
    if not _NIK.match(digits):
        raise Refused(Reason.BAD_NIK)
    return digits


class NikKey:
    """Turns a NIK into the hash bookings keep, under the site's secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the NIK secret must have at least 16 bytes")
        self._secret = secret

    def hash(self, nik: str) -> str:
        """The HMAC-SHA256 (hex) of a checked NIK; `Refused(BAD_NIK)` if it is not one."""
        return hmac.new(self._secret, checked_nik(nik).encode(), hashlib.sha256).hexdigest()


def load_nik_key(folder: Path) -> NikKey:
    """The site's NIK key from `folder` (the central's state folder), made on first use."""
    return NikKey(load_secret(folder / NIK_SECRET_FILE))
