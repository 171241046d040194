"""The kiosk's MQTT session: requests out on its own topic, answers in."""

import logging
from collections.abc import Callable

from contract.credentials import Credentials
from contract.device_link import DeviceLink, Health
from contract.messages import Answer, BadMessage, DeviceStatus, decode
from contract.topics import CENTRAL_ID, Topics

log = logging.getLogger(__name__)

__all__ = ["Health", "KioskLink"]


class KioskLink(DeviceLink):
    """A kiosk's session: it writes only its request topic and reads only its answers
    (and the central's heartbeat, to know whether the central is there)."""

    def __init__(
        self,
        kiosk_id: str,
        credentials: Credentials,
        *,
        version: str,
        on_answer: Callable[[Answer], None],
        on_connected: Callable[[], None],
        on_central: Callable[[DeviceStatus], None],
        noted: Health | None = None,
    ) -> None:
        self._on_answer = on_answer
        self._on_central = on_central
        topics = Topics(credentials.site)
        self._answer_topic = topics.kiosk_answer(kiosk_id)
        self._central_topic = topics.status(CENTRAL_ID)
        super().__init__(
            kiosk_id,
            credentials,
            version=version,
            subscriptions=[self._answer_topic, self._central_topic],
            on_message=self._message_in,
            on_connected=on_connected,
            noted=noted,
        )

    def send(self, payload: bytes) -> bool:
        """Publishes a request; False when not connected (the outbox keeps it)."""
        return self.publish(self.topics.kiosk_request(self.device_id), payload)

    def _message_in(self, topic: str, payload: bytes) -> None:
        if topic == self._central_topic:
            self._central(payload)
            return
        try:
            answer = decode(payload, Answer)
        except BadMessage as e:
            log.warning("%s dropped an answer it cannot read: %s", self.device_id, e)
            return
        self._on_answer(answer)

    def _central(self, payload: bytes) -> None:
        try:
            status = decode(payload, DeviceStatus)
        except BadMessage as e:
            log.warning("%s dropped a central status it cannot read: %s", self.device_id, e)
            return
        self._on_central(status)
