"""Booking codes: short, read aloud without confusion, and naming their service.

A code is the service's prefix, a dash and six characters of Crockford's base 32
(digits and letters without I, L, O and U), e.g. `E-7K3M9Q`: about a billion codes a
service, and nothing a citizen or a clerk can misread. The QR code holds the code alone.
Read loosely: lower case, spaces, a missing dash, and the letters Crockford maps
(O to 0, I and L to 1) are accepted. The prefix lets a kiosk that cannot reach the
central still print a ticket of the right service (see docs/kiosk.md).
"""

import re
import secrets
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LENGTH = 6
_LOOSE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_CODE = re.compile(rf"^([A-Z]{{1,2}})-?([{ALPHABET}]{{{BODY_LENGTH}}})$")


@dataclass(frozen=True, slots=True)
class BookingCode:
    service: str
    body: str

    def __str__(self) -> str:
        return f"{self.service}-{self.body}"


def new_code(service: str) -> BookingCode:
    """A fresh random code for `service` (the caller makes sure it is unused)."""
    return BookingCode(service, "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH)))


def parse_code(text: str) -> BookingCode | None:
    """The code in what a citizen typed or a scanner read, or None."""
    squeezed = re.sub(r"[\s_]", "", text).upper()
    match = _CODE.match(squeezed)
    if match is None:
        # The prefix is letters only: map look-alikes in the body alone.
        head, _, body = squeezed.partition("-")
        if not body and len(squeezed) > BODY_LENGTH:
            head, body = squeezed[:-BODY_LENGTH], squeezed[-BODY_LENGTH:]
        match = _CODE.match(f"{head}-{body.translate(_LOOSE)}")
    if match is None:
        return None
    return BookingCode(match[1], match[2])
