"""What the lobby screen shows, as plain values: the screen only paints this.

The display's MQTT side keeps a `ScreenModel` up to date from the retained state
and the call events; the painter (`display.screen`) turns it into pixels. Neither
knows about the other's work.
"""

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CallShown:
    """One call on screen: "A023 -> LOKET 5"."""

    id: str
    number: str
    counter_name: str
    service: str
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class WaitingShown:
    """A service's waiting count, with the name citizens know it by."""

    prefix: str
    name: str
    waiting: int


@dataclass(frozen=True, slots=True)
class ScreenModel:
    """Everything on the screen at one moment."""

    site_name: str
    now: dt.datetime
    # The newest call, shown large; highlighted while `highlight` is true (a few
    # seconds after it arrives, and while it is being announced).
    newest: CallShown | None = None
    highlight: bool = False
    # The calls before the newest, newest first.
    recent: tuple[CallShown, ...] = ()
    waiting: tuple[WaitingShown, ...] = ()
    notice: str = ""
    # True while Mosquitto cannot be reached: the last known state stays on screen.
    offline: bool = False
    # Labels in Bahasa Indonesia; English under them when true.
    english: bool = False
