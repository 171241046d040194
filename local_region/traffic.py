"""Citizens and clerks of one simulated site: tickets asked at its kiosk, called at counters.

Plain MQTT with the site's own credentials, as the kiosk and the counters' screens would
send: `IssueTicket` on kiosk-1's topic every few seconds, and now and then a counter that
finishes its ticket and calls the next. The central's answers are not awaited: a refused
ticket (a quota reached) is just a citizen turned away.
"""

from __future__ import annotations

import random
import threading
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from contract.credentials import Credentials
from contract.messages import CounterCommand, IssueTicket, encode
from contract.topics import Topics

# Services of the example site and the counters that serve them (counters 1-10: A-G).
SERVICES = "ABCDEFG"
COUNTERS = range(1, 11)
KIOSK = "kiosk-1"


class Traffic:
    """One site's simulated day, on a thread until `stop`."""

    def __init__(
        self, site_id: str, credentials: dict[str, Credentials], every_s: float, seed: int
    ) -> None:
        self.topics = Topics(site_id)
        self.every_s = every_s
        self.random = random.Random(seed)
        self._stop = threading.Event()
        users = [KIOSK, *(f"counter-{n}" for n in COUNTERS)]
        self.clients = {user: _client(credentials[user]) for user in users}
        self._thread = threading.Thread(target=self._run, name=f"traffic-{site_id}", daemon=True)

    def start(self) -> None:
        for client in self.clients.values():
            client.loop_start()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for client in self.clients.values():
            client.disconnect()
            client.loop_stop()

    def _run(self) -> None:
        while not self._stop.wait(self.random.uniform(0.5, 1.5) * self.every_s):
            service = self.random.choice(SERVICES)
            request = IssueTicket(id=uuid.uuid4().hex, service=service)
            self.clients[KIOSK].publish(self.topics.kiosk_request(KIOSK), encode(request), qos=1)
            if self.random.random() < 0.8:
                counter = self.random.choice(COUNTERS)
                for action in ("finish", "call_next"):
                    command = CounterCommand(id=uuid.uuid4().hex, action=action)
                    self.clients[f"counter-{counter}"].publish(
                        self.topics.counter_command(counter), encode(command), qos=1
                    )


def _client(credentials: Credentials) -> mqtt.Client:
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=f"region-traffic-{credentials.site}-{credentials.username}",
        protocol=mqtt.MQTTv5,
    )
    client.username_pw_set(credentials.username, credentials.password)
    client.reconnect_delay_set(min_delay=1, max_delay=5)
    client.connect_async(credentials.host, credentials.port, keepalive=30)
    return client
