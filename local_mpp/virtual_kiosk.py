"""The virtual kiosk of `make run`: the kiosk buttons and the survey unit in a browser.

A small page on 127.0.0.1: one big button per service of each kiosk, a "Prioritas"
toggle (the priority button, for the next press only), the four survey buttons of the
first survey unit and the last tickets each kiosk printed (read back from the ESC/POS
bytes `make run` has it print to var/local/<kiosk>.bin). A press is handed to the same
path as the terminal's (`Mall.press`, `Mall.survey`), so the simulated kiosk prints the
ticket exactly as for a real button.

Only this page may press: every POST carries the run's random token (a hidden field of
the page), and a request naming another host (DNS rebinding) is refused.
"""

from __future__ import annotations

import hmac
import html
import json
import re
import secrets
import threading
from collections.abc import Callable
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import BaseServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from contract.site import Site

HOST = "127.0.0.1"
# Survey ratings, as the unit's buttons read from left to right.
RATINGS = {4: "Sangat puas", 3: "Puas", 2: "Kurang puas", 1: "Tidak puas"}
SHOWN_TICKETS = 5
# Enough of a kiosk's printout for its last tickets (a raster QR code takes a few KB).
PRINTOUT_TAIL_BYTES = 256 * 1024
# On the paper: "NOMOR ANTREAN", then the number in large text (after its GS ! / ESC E /
# ESC a style commands) and, for a priority ticket, "PRIORITAS".
_STYLE = rb"(?:(?:\x1d!|\x1bE|\x1ba|\x1bt).)*"
PRINTED_NUMBER = re.compile(
    rb"NOMOR ANTREAN\n" + _STYLE + rb"([A-Z]{1,2}\d{3,4})\n(" + _STYLE + rb"PRIORITAS\n)?",
    re.DOTALL,
)
MAX_BODY_BYTES = 4096
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "script-src 'unsafe-inline'; connect-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class VirtualKiosk:
    """The page's server: `start()` it, give people `url`, `stop()` it before the kiosks."""

    def __init__(
        self,
        site: Site,
        press: Callable[[str], None],
        survey: Callable[[int], None],
        printouts: Path,
        port: int = 0,
    ) -> None:
        self.site = site
        self.press = press
        self.survey = survey
        self.printouts = printouts
        self.token = secrets.token_urlsafe(24)
        self.names = {service.prefix: service.name for service in site.services}
        self.buttons = {b.service for kiosk in site.kiosks for b in kiosk.buttons}
        self._server = ThreadingHTTPServer((HOST, port), partial(_Handler, self))
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="virtual-kiosk", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def last_tickets(self) -> dict[str, list[str]]:
        """Each kiosk's last printed numbers, newest first, from its ESC/POS printout."""
        tickets: dict[str, list[str]] = {}
        for kiosk in self.site.kiosks:
            printout = _tail(self.printouts / f"{kiosk.id}.bin")
            numbers = [
                number.decode() + (" prioritas" if priority else "")
                for number, priority in PRINTED_NUMBER.findall(printout)
            ]
            tickets[kiosk.id] = numbers[::-1][:SHOWN_TICKETS]
        return tickets

    def page(self, notice: str = "") -> str:
        return _PAGE.format(
            token=html.escape(self.token),
            notice=f'<p class="notice" role="status">{html.escape(notice)}</p>' if notice else "",
            kiosks="\n".join(self._kiosk_html(i) for i in range(len(self.site.kiosks))),
            survey=self._survey_html(),
            tickets=self._tickets_html(),
        )

    def notice(self, query: str) -> str:
        """What the last press did, for the page it leads back to (only known presses)."""
        fields = parse_qs(query)
        pressed = fields.get("pressed", [""])[0]
        service = pressed.lstrip("*")
        if service in self.buttons:
            kind = "prioritas " if pressed.startswith("*") else ""
            return f"Tombol {kind}{service} ditekan: tiketnya dicetak sebentar lagi."
        rating = fields.get("survey", [""])[0]
        if rating.isdigit() and int(rating) in RATINGS:
            return f"Survei: {RATINGS[int(rating)]} ditekan. Terima kasih!"
        return ""

    def _kiosk_html(self, index: int) -> str:
        kiosk = self.site.kiosks[index]
        buttons = "\n".join(
            f'<button class="service" name="service" value="{html.escape(b.service)}">'
            f"<b>{html.escape(b.service)}</b> {html.escape(self.names.get(b.service, ''))}"
            "</button>"
            for b in kiosk.buttons
        )
        title = html.escape(kiosk.name or kiosk.id)
        return (
            f"<fieldset><legend>{title} <small>({html.escape(kiosk.id)})</small></legend>"
            f'<div class="grid">{buttons}</div></fieldset>'
        )

    def _survey_html(self) -> str:
        if not self.site.survey_units:
            return "<p>Tidak ada unit survei di berkas situs (no survey unit).</p>"
        unit = self.site.survey_units[0]
        counters = ", ".join(str(c) for c in unit.counters)
        buttons = "\n".join(
            f'<button class="rating r{rating}" name="rating" value="{rating}">{words}</button>'
            for rating, words in RATINGS.items()
        )
        return (
            f'<form method="post" action="/survey"><fieldset><legend>'
            f"{html.escape(unit.name or unit.id)} <small>({html.escape(unit.id)}, "
            f"loket {counters})</small></legend>"
            f'<input type="hidden" name="token" value="{html.escape(self.token)}">'
            f'<div class="ratings">{buttons}</div></fieldset></form>'
        )

    def _tickets_html(self) -> str:
        rows = []
        for kiosk_id, numbers in self.last_tickets().items():
            shown = " · ".join(numbers) if numbers else "belum ada"
            rows.append(
                f"<li>{html.escape(kiosk_id)}: "
                f'<span id="tickets-{html.escape(kiosk_id)}">{html.escape(shown)}</span></li>'
            )
        return "\n".join(rows)


class _Handler(BaseHTTPRequestHandler):
    server_version = "antre-virtual-kiosk"

    def __init__(self, kiosk: VirtualKiosk, request: Any, address: Any, server: BaseServer) -> None:
        self.kiosk = kiosk
        super().__init__(request, address, server)

    def do_GET(self) -> None:
        if not self._known_host():
            return
        url = urlsplit(self.path)
        if url.path == "/":
            self._send(HTTPStatus.OK, "text/html", self.kiosk.page(self.kiosk.notice(url.query)))
        elif url.path == "/tickets":
            self._send(HTTPStatus.OK, "application/json", json.dumps(self.kiosk.last_tickets()))
        else:
            self._send(HTTPStatus.NOT_FOUND, "text/plain", "Tidak ada (not found)\n")

    def do_POST(self) -> None:
        if not self._known_host():
            return
        fields = self._form()
        if fields is None:
            return
        token = fields.get("token", [""])[0]
        if not hmac.compare_digest(token.encode(), self.kiosk.token.encode()):
            self._send(HTTPStatus.FORBIDDEN, "text/plain", "Token salah (wrong token)\n")
            return
        path = urlsplit(self.path).path
        if path == "/press":
            service = fields.get("service", [""])[0]
            if service not in self.kiosk.buttons:
                self._send(HTTPStatus.BAD_REQUEST, "text/plain", "Tidak ada tombol itu\n")
                return
            key = ("*" if fields.get("priority", [""])[0] else "") + service
            self.kiosk.press(key)
            self._redirect(f"/?pressed={key}")
        elif path == "/survey":
            rating = fields.get("rating", [""])[0]
            if not self.kiosk.site.survey_units or rating not in ("1", "2", "3", "4"):
                self._send(HTTPStatus.BAD_REQUEST, "text/plain", "Tidak ada tombol itu\n")
                return
            self.kiosk.survey(int(rating))
            self._redirect(f"/?survey={rating}")
        else:
            self._send(HTTPStatus.NOT_FOUND, "text/plain", "Tidak ada (not found)\n")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: `make run`'s terminal is for its prompt (the press says itself there)."""

    def _known_host(self) -> bool:
        """Only this machine's names: a page whose DNS now points here is not let in."""
        allowed = {f"{HOST}:{self.kiosk.port}", f"localhost:{self.kiosk.port}"}
        if self.headers.get("Host", "") in allowed:
            return True
        self._send(HTTPStatus.FORBIDDEN, "text/plain", "Host tidak dikenal (unknown host)\n")
        return False

    def _form(self) -> dict[str, list[str]] | None:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self._send(HTTPStatus.BAD_REQUEST, "text/plain", "Permintaan tidak sah\n")
            return None
        body = self.rfile.read(length).decode("utf-8", "replace")
        return parse_qs(body, max_num_fields=10)

    def _redirect(self, location: str) -> None:
        # 303: the browser comes back with a GET, so a reload does not press again.
        self.send_response(HTTPStatus.SEE_OTHER)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()

    def _send(self, status: HTTPStatus, content_type: str, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def _tail(printout: Path) -> bytes:
    try:
        with printout.open("rb") as file:
            size = file.seek(0, 2)
            file.seek(max(0, size - PRINTOUT_TAIL_BYTES))
            return file.read()
    except OSError:
        return b""


_PAGE = """<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kios virtual (virtual kiosk) - Antre</title>
<style>
body {{ font-family: sans-serif; margin: 1rem; background: #f4f4f4; }}
h1 {{ margin: 0 0 .2rem; }}
.sub {{ margin: 0 0 1rem; color: #555; }}
fieldset {{ background: #fff; border: 1px solid #ccc; margin: 0 0 1rem; }}
legend {{ font-weight: bold; font-size: 1.2rem; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr));
  gap: .5rem; }}
button {{ font-size: 1rem; padding: .8rem; cursor: pointer; border-radius: .4rem;
  border: 1px solid #888; background: #e8f0fe; text-align: left; min-height: 4rem; }}
button b {{ font-size: 1.6rem; margin-right: .4rem; vertical-align: middle; }}
.toggle {{ display: inline-block; font-size: 1.2rem; padding: .6rem 1rem; margin: 0 0 1rem;
  background: #fff3cd; border: 2px solid #d4a017; border-radius: .4rem; cursor: pointer; }}
.toggle input {{ width: 1.4rem; height: 1.4rem; vertical-align: middle; }}
.ratings {{ display: flex; gap: .5rem; flex-wrap: wrap; }}
.rating {{ font-size: 1.3rem; text-align: center; min-width: 10rem; }}
.r4 {{ background: #c8e6c9; }} .r3 {{ background: #e6f4c8; }}
.r2 {{ background: #ffe0b2; }} .r1 {{ background: #ffcdd2; }}
.notice {{ background: #e0f2f1; padding: .6rem; border-left: .3rem solid #00897b; }}
#tickets li {{ font-size: 1.2rem; font-family: monospace; }}
</style>
</head>
<body>
<h1>Kios virtual</h1>
<p class="sub">Tombol kios dan unit survei <code>make run</code>, dari peramban
(the kiosk buttons and the survey unit of <code>make run</code>, from a browser).
Tiket dicetak oleh kios simulasi, sama seperti tombol sungguhan.</p>
{notice}
<form method="post" action="/press">
<input type="hidden" name="token" value="{token}">
<label class="toggle"><input type="checkbox" name="priority" value="1">
Prioritas</label> <small>(lansia, disabilitas, ibu hamil, anak kecil: untuk tekanan
berikutnya saja / for the next press only)</small>
{kiosks}
</form>
<h2>Survei kepuasan <small>(satisfaction survey)</small></h2>
{survey}
<h2>Tiket terakhir <small>(last printed tickets, newest first)</small></h2>
<ul id="tickets">
{tickets}
</ul>
<script>
setInterval(async () => {{
  const answer = await fetch("/tickets");
  if (!answer.ok) return;
  for (const [kiosk, numbers] of Object.entries(await answer.json())) {{
    const list = document.getElementById("tickets-" + kiosk);
    if (list) list.textContent = numbers.length ? numbers.join(" · ") : "belum ada";
  }}
}}, 2000);
</script>
</body>
</html>
"""
