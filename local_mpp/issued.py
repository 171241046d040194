"""`make run` says each ticket the central issues, with the address of its public page.

The person trying Antre presses A and sees, a moment later,

      kiosk-1: A004 issued, 2 ahead; its page: http://127.0.0.1:50789/t/...

and can open the page the ticket's QR code leads to (its place in the queue, live, and
the survey form once it is finished). It listens as the central (which may read every
topic) to the kiosks' answers: the ticket is in the answer the kiosk prints from.
"""

from __future__ import annotations

from typing import Any

import paho.mqtt.client as mqtt

from contract.credentials import Credentials
from contract.messages import Answer, BadMessage, decode
from contract.topics import Topics
from simulation.link import Subscriber, client_id


def issued_line(kiosk: str, answer: Answer) -> str | None:
    """What to tell about a kiosk's answer: a ticket issued; None for anything else."""
    ticket = answer.ticket
    if not answer.ok or ticket is None or ticket.state != "waiting":
        return None
    page = f"; its page: {ticket.url}" if ticket.url else ""
    return f"  {kiosk}: {ticket.number} issued, {ticket.ahead} ahead{page}"


class IssuedTickets(Subscriber):
    """Prints a line for every ticket issued at a kiosk, as long as it runs."""

    def __init__(self, central: Credentials, topics: Topics) -> None:
        self._topics = topics
        # A kiosk that asks again (no answer in time) gets the same answer: told once.
        self._told: set[str] = set()
        super().__init__(central, [topics.kiosk_answer("+")], client_id("make-run-tickets"))

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        parsed = self._topics.parse(message.topic)
        try:
            answer = decode(bytes(message.payload), Answer)
        except BadMessage:
            return
        line = issued_line(parsed[1] if parsed else "kiosk", answer)
        if line is not None and answer.ticket is not None and answer.ticket.id not in self._told:
            self._told.add(answer.ticket.id)
            print(line, flush=True)
