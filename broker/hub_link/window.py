"""Which records to send the hub now: the sequence and acknowledgement rule, pure.

The hub acknowledges the highest sequence it holds with no gap below it (`Acked.up_to`).
The site keeps at most `size` records beyond that in flight. When the acknowledgement has
not advanced for `resend_seconds` while records are in flight, one of them was lost on
the way (a bridge drops queued messages, the hub restarted): everything after the
acknowledgement is sent again. An acknowledgement that goes back (a hub restored from a
backup) is believed: the site sends again from there. While the bridge to the hub is
known to be down nothing is sent: resends would only heap up in its queue; once it is up
again, what was in flight goes again. `now` is any monotonic clock.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """The records with `after` < seq <= `up_to`, to send now."""

    after: int
    up_to: int


@dataclass(slots=True)
class SendWindow:
    """What the hub acknowledged, what was sent, and since when nothing advanced."""

    size: int
    resend_seconds: float
    # None until the hub's acknowledgement (or its absence) is known: nothing is sent.
    acked: int | None = None
    sent_up_to: int = 0
    # When the acknowledgement last advanced, or records were first put in flight.
    progress_at: float = 0.0
    resends: int = 0
    # As the site's Mosquitto last said; up when it never said (no bridge state known).
    bridge_up: bool = True

    def learned(self, up_to: int, now: float) -> None:
        """The retained acknowledgement, or 0 when the hub has none: sending may start."""
        if self.acked is None:
            self.acknowledged(up_to, now)

    def acknowledged(self, up_to: int, now: float) -> None:
        """The hub holds every record up to `up_to`."""
        if self.acked is not None and up_to == self.acked:
            return
        if self.acked is None or up_to > self.acked:
            self.progress_at = now
            self.sent_up_to = max(self.sent_up_to, up_to)
        else:
            # Back: the hub lost what it had acknowledged; send again from its word.
            self.progress_at = now
            self.sent_up_to = up_to
        self.acked = up_to

    def bridge(self, up: bool, now: float) -> None:
        """The bridge to the hub went up or down."""
        if up and not self.bridge_up:
            self.rewind()
            self.progress_at = now
        self.bridge_up = up

    def rewind(self) -> None:
        """What was in flight may be lost (the local broker went away): send it again."""
        if self.acked is not None:
            self.sent_up_to = self.acked

    def in_flight(self) -> int:
        return self.sent_up_to - self.acked if self.acked is not None else 0

    def due(self, last_seq: int, now: float) -> Span | None:
        """The records to send now, given the highest sequence the stream holds; the
        window counts them as sent."""
        if self.acked is None or not self.bridge_up:
            return None
        if self.in_flight() > 0 and now - self.progress_at >= self.resend_seconds:
            self.sent_up_to = self.acked
            self.progress_at = now
            self.resends += 1
        end = min(last_seq, self.acked + self.size)
        if end <= self.sent_up_to:
            return None
        if self.in_flight() == 0:
            # The resend clock starts with the first record in flight, not at the last ack.
            self.progress_at = now
        span = Span(self.sent_up_to, end)
        self.sent_up_to = end
        return span
