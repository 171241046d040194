"""A ticket and the printers the printing tests share: A023 of the example site's
passport service, and an 80 mm and a 58 mm printer."""

from __future__ import annotations

import msgspec

from contract.messages import TicketInfo
from contract.site import Printer

URL = "http://antre.local/t/2026-11-30/A023"


def ticket(**changes: object) -> TicketInfo:
    """Ticket A023 of the Samarinda passport service, issued Monday 30 Nov 2026 09:12 WITA."""
    base = TicketInfo(
        id="2026-11-30/A023",
        number="A023",
        service="A",
        service_name="Paspor (permohonan baru dan penggantian)",
        agency="Kantor Imigrasi",
        priority=False,
        state="waiting",
        issued_at="2026-11-30T09:12:00+08:00",
        ahead=4,
        wait_minutes=24,
        counters=[1, 2],
        url=URL,
        wait_min_minutes=20,
        wait_max_minutes=35,
    )
    return msgspec.structs.replace(base, **changes)


PRINTER_80 = Printer(type="dummy", width_mm=80)
# The example site's kiosk-2 printer: 58 mm, neither cutter nor native QR.
PRINTER_58 = Printer(type="dummy", width_mm=58)
