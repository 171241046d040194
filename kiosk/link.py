"""The kiosk's MQTT session: requests out on its own topic, answers in."""

import logging
from collections.abc import Callable

from contract.credentials import Credentials
from contract.device_link import DeviceLink, Health
from contract.messages import Answer, BadMessage, decode
from contract.topics import Topics

log = logging.getLogger(__name__)

__all__ = ["Health", "KioskLink"]


class KioskLink(DeviceLink):
    """A kiosk's session: it writes only its request topic and reads only its answers."""

    def __init__(
        self,
        kiosk_id: str,
        credentials: Credentials,
        *,
        version: str,
        on_answer: Callable[[Answer], None],
        on_connected: Callable[[], None],
    ) -> None:
        self._on_answer = on_answer
        super().__init__(
            kiosk_id,
            credentials,
            version=version,
            subscriptions=[Topics(credentials.site).kiosk_answer(kiosk_id)],
            on_message=self._answer,
            on_connected=on_connected,
        )

    def send(self, payload: bytes) -> bool:
        """Publishes a request; False when not connected (the outbox keeps it)."""
        return self.publish(self.topics.kiosk_request(self.device_id), payload)

    def _answer(self, topic: str, payload: bytes) -> None:
        try:
            answer = decode(payload, Answer)
        except BadMessage as e:
            log.warning("%s dropped an answer it cannot read: %s", self.device_id, e)
            return
        self._on_answer(answer)
