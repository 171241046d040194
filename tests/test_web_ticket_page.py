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
