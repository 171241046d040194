"""The citizen's ticket page behind the QR code."""

import json

from flask.testing import FlaskClient

from broker.requests import RequestHandler
from broker.web.context import WebContext
from contract.messages import Answer, IssueTicket, decode, encode
from tests.conftest import at


def issue(web_ctx: WebContext, service: str = "A") -> str:
    """Issues a ticket the way a kiosk does and returns its page's path (from the QR)."""
    handler = RequestHandler(web_ctx.queue, web_ctx.links)
    payload = encode(IssueTicket(id=f"req-{service}", service=service))
    reply = handler.kiosk("kiosk-1", payload)
    assert reply.answer is not None
    answer = decode(encode(reply.answer), Answer)
    assert answer.ticket is not None
    assert answer.ticket.url.startswith("http://antre.local/t/")
    return "/t/" + answer.ticket.url.rsplit("/", 1)[1]


def test_the_qr_code_leads_to_the_ticket_without_a_login(
    client: FlaskClient, web_ctx: WebContext
) -> None:
    issue(web_ctx)
    path = issue(web_ctx, "B")
    page = client.get(path)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "B001" in text
    assert "Perpanjangan SIM" in text
    assert "Orang di depan Anda" in text


def test_the_token_is_not_the_number_and_cannot_be_guessed(
    client: FlaskClient, web_ctx: WebContext
) -> None:
    path = issue(web_ctx)
    token = path.rsplit("/", 1)[1]
    assert "A001" not in token
    assert len(token) >= 20
    assert client.get("/t/" + token[:-1] + ("a" if token[-1] != "a" else "b")).status_code == 404
    assert client.get("/t/2026-11-30/A001").status_code == 404


def test_the_page_says_where_to_go_once_called(client: FlaskClient, web_ctx: WebContext) -> None:
    path = issue(web_ctx)
    web_ctx.queue.run(lambda engine, now: engine.call_next(2, now), at(9, 5))
    text = client.get(path).get_data(as_text=True)
    assert "Silakan menuju Loket 2" in text
    web_ctx.queue.run(lambda engine, now: engine.finish(2, now), at(9, 10))
    assert "Layanan selesai" in client.get(path).get_data(as_text=True)


def test_the_live_stream_starts_with_the_ticket_as_it_stands(
    client: FlaskClient, web_ctx: WebContext
) -> None:
    path = issue(web_ctx)
    response = client.get(path + "/events", buffered=False)
    assert response.mimetype == "text/event-stream"
    first = next(iter(response.response))
    response.close()
    text = first.decode() if isinstance(first, bytes) else str(first)
    view = json.loads(text.removeprefix("data: ").strip())
    assert view["state"] == "waiting"
    assert view["ahead"] == 0


def test_the_page_speaks_english_when_asked(client: FlaskClient, web_ctx: WebContext) -> None:
    path = issue(web_ctx)
    with client.session_transaction() as session:
        session["lang"] = "en"
    assert "People ahead of you" in client.get(path).get_data(as_text=True)


def test_with_nobody_ahead_the_wait_is_soon_not_zero_minutes(
    client: FlaskClient, web_ctx: WebContext
) -> None:
    # GIVEN the first ticket of the day: nobody ahead
    path = issue(web_ctx)
    # THEN its page says "segera" (soon), never "± 0 menit"
    text = client.get(path).get_data(as_text=True)
    assert '<dd id="wait">segera</dd>' in text
    assert "± 0" not in text
    # AND the live feed says the same
    response = client.get(path + "/events", buffered=False)
    first = next(iter(response.response))
    response.close()
    raw = first.decode() if isinstance(first, bytes) else str(first)
    assert json.loads(raw.removeprefix("data: ").strip())["wait"] == "segera"
    # AND in English, "soon"
    with client.session_transaction() as session:
        session["lang"] = "en"
    assert '<dd id="wait">soon</dd>' in client.get(path).get_data(as_text=True)


def test_once_called_the_waiting_rows_are_hidden(client: FlaskClient, web_ctx: WebContext) -> None:
    path = issue(web_ctx)
    web_ctx.queue.run(lambda engine, now: engine.call_next(2, now), at(9, 5))
    text = client.get(path).get_data(as_text=True)
    assert '<dl id="waiting" hidden>' in text
    assert 'data-state="called"' in text
    # ticket.css makes `hidden` win over the list's own display (a grid)
    css = client.get("/static/ticket.css")
    assert b"[hidden] { display: none !important; }" in css.data
    css.close()


def test_every_page_has_the_favicon(client: FlaskClient, web_ctx: WebContext) -> None:
    path = issue(web_ctx)
    link = 'rel="icon" href="/static/favicon.svg" type="image/svg+xml"'
    assert link in client.get(path).get_data(as_text=True)  # ticket.html
    assert link in client.get("/login").get_data(as_text=True)  # base.html
    web_ctx.queue.run(lambda engine, now: engine.call_next(1, now), at(9, 5))
    web_ctx.queue.run(lambda engine, now: engine.finish(1, now), at(9, 10))
    survey = client.get(path + "/survei")
    assert survey.status_code == 200
    assert link in survey.get_data(as_text=True)  # survey_layout.html
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200
    assert svg.data.startswith(b"<svg")
    svg.close()
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.mimetype == "image/vnd.microsoft.icon"
    assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    icon.close()
