"""How every Antre MQTT client meets Mosquitto: its login, its TLS and its socket settings."""

import socket
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from contract.credentials import Credentials


def mqtt_client(
    credentials: Credentials, client_id: str, *, max_reconnect_delay: int, manual_ack: bool = False
) -> mqtt.Client:
    """An MQTT 5 client logged in as `credentials`, not yet connected; the caller adds its
    last will and its callbacks.

    `manual_ack`: a message is acknowledged to Mosquitto only when the caller says so.
    """
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
        manual_ack=manual_ack,
    )
    client.username_pw_set(credentials.username, credentials.password)
    if credentials.tls_ca is not None:
        # Mosquitto's certificate must be signed by the site's CA and name its host.
        client.tls_set(ca_certs=credentials.tls_ca)
    client.reconnect_delay_set(min_delay=1, max_delay=max_reconnect_delay)
    send_without_delay(client)
    return client


def send_without_delay(client: mqtt.Client) -> None:
    """Turns off Nagle's algorithm on the client's connections.

    Requests and answers are tiny; with Nagle's algorithm each waits for the other
    side's delayed ACK (about 40 ms), which made most of a ticket's round trip.
    """

    def opened(client: mqtt.Client, userdata: Any, sock: Any) -> None:
        if isinstance(sock, socket.socket):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    client.on_socket_open = opened
