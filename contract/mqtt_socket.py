"""Socket settings every Antre MQTT client uses."""

import socket
from typing import Any

import paho.mqtt.client as mqtt


def send_without_delay(client: mqtt.Client) -> None:
    """Turns off Nagle's algorithm on the client's connections.

    Requests and answers are tiny; with Nagle's algorithm each waits for the other
    side's delayed ACK (about 40 ms), which made most of a ticket's round trip.
    """

    def opened(client: mqtt.Client, userdata: Any, sock: Any) -> None:
        if isinstance(sock, socket.socket):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    client.on_socket_open = opened
