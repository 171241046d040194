"""Which raw button events become presses: one press, one ticket (or one opinion).

The kiosk's service buttons and the survey unit's rating buttons both go through it.
Pure: no gpiozero, no clock reads. The caller passes a monotonic `now` with every
event, so the rules can be tested with explicit times.
"""

from dataclasses import dataclass

PRIORITY_WINDOW_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Press:
    """A press that asks for a ticket of one service, priority or not."""

    service: str
    priority: bool = False


class PressFilter:
    """Turns button events into presses, dropping bounces, holds and hammering.

    - A press within `cooldown_seconds` of the same button's last accepted press is
      ignored: a bouncing contact re-triggers within milliseconds and a child
      hammering the button within seconds. The cool-down counts from the last
      accepted press, not the last ignored one, so hammering gives one ticket per
      cool-down rather than none at all.
    - A press with no release since the button's previous press is ignored: a held
      button gives one ticket, however long it is held.
    - The priority button arms priority for the next accepted service press within
      `priority_window_seconds`; that press consumes it, and an expired window
      disarms it.
    """

    def __init__(
        self, cooldown_seconds: float, priority_window_seconds: float = PRIORITY_WINDOW_SECONDS
    ) -> None:
        if cooldown_seconds < 0:
            raise ValueError(f"cooldown_seconds must not be negative (got {cooldown_seconds})")
        if priority_window_seconds < 0:
            raise ValueError(
                f"priority_window_seconds must not be negative (got {priority_window_seconds})"
            )
        self.cooldown_seconds = cooldown_seconds
        self.priority_window_seconds = priority_window_seconds
        self._last_accepted: dict[str, float] = {}
        self._down: set[str] = set()
        self._priority_armed_at: float | None = None

    def press(self, service: str, now: float) -> Press | None:
        """A service button went down: the press it asks for, or None to ignore it."""
        if service in self._down:
            return None
        self._down.add(service)
        last = self._last_accepted.get(service)
        if last is not None and now - last < self.cooldown_seconds:
            return None
        self._last_accepted[service] = now
        priority = self.priority_armed(now)
        self._priority_armed_at = None
        return Press(service, priority=priority)

    def release(self, service: str) -> None:
        """A service button came back up."""
        self._down.discard(service)

    def priority_pressed(self, now: float) -> None:
        """The priority button went down: arm (or re-arm) priority from now."""
        self._priority_armed_at = now

    def priority_armed(self, now: float) -> bool:
        """Whether the next accepted service press at `now` would be a priority one."""
        armed_at = self._priority_armed_at
        if armed_at is None:
            return False
        if now - armed_at > self.priority_window_seconds:
            self._priority_armed_at = None
            return False
        return True
