"""What the provisioning tests share: the example site's users, MQTT v5's reason codes,
and the example site's text with a kiosk added or a display taken away."""

from __future__ import annotations

from tests.broker_fixtures import EXAMPLE_SITE

COUNTERS = [f"counter-{n}" for n in range(1, 27)]
DEVICES = ["central", "kiosk-1", "kiosk-2", "display-lobby", "display-disdukcapil"]
USERS = [*DEVICES, *COUNTERS, "survey-1"]
# MQTT v5 reason codes.
SUCCESS = 0
NO_MATCHING_SUBSCRIBERS = 16
NOT_AUTHORIZED = 135
GRANTED_QOS_1 = 1

KIOSK_3 = """
[[kiosks]]
id = "kiosk-3"
buttons = [{ service = "H", pin = 2, led_pin = 14 }]

[kiosks.printer]
type = "dummy"
"""
DISPLAY_DISDUKCAPIL = '[[displays]]\nid = "display-disdukcapil"\n'


def example_text() -> str:
    return EXAMPLE_SITE.read_text(encoding="utf-8")


def with_kiosk_3(text: str) -> str:
    return text + KIOSK_3


def without_display_disdukcapil(text: str) -> str:
    """The example without its last table, the Disdukcapil display."""
    assert text.count(DISPLAY_DISDUKCAPIL) == 1
    return text[: text.index(DISPLAY_DISDUKCAPIL)]
