"""What a display knows: the latest queue state and calls, turned into a screen model.

No MQTT and no pygame here. A state is taken only if its `seq` is newer than the one
held. A call event is announced once by its id; the recent calls found in a retained
state (after a start or a reboot, and after the link comes back) are shown but never
announced: a number called while the display was away is on the board for the citizen
who looks, but never spoken late.

The board lists the five newest calls. A call pushed off it (by newer ones, or by a
recall of its number) may still wait to be spoken in a burst: it is held out of sight
and put back on top while it is spoken, so the number heard is always the number seen.
"""

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable
from zoneinfo import ZoneInfo

from contract.messages import CallEvent, QueueState
from contract.site import Display, Site
from display.model import CallShown, ScreenModel, WaitingShown

RECENT_SHOWN = 4
# A new call stays highlighted this long, and for as long as it is being spoken.
HIGHLIGHT_SECONDS = 6.0
# How long a call pushed off the board is held in case it is still to be spoken: longer
# than a call waits to be spoken (`Announcer.max_wait`, 60 s) plus the longest
# announcement, so the held calls are a few seconds' worth, whatever the day's total.
HELD_SECONDS = 120.0


class Board:
    """One display's picture of the queues."""

    def __init__(self, site: Site, display: Display, announce: Callable[[CallEvent], bool]):
        self.site = site
        self.display = display
        self._announce = announce
        self._zone: ZoneInfo = site.site.timezone
        self._services = display.services or [s.prefix for s in site.services]
        self.state: QueueState | None = None
        self._calls: list[CallShown] = []
        self._arrived: dict[str, float] = {}
        # Calls pushed off the board, oldest first, with their arrival: (call, now).
        self._held: OrderedDict[str, tuple[CallShown, float]] = OrderedDict()
        self._catching_up = False

    def reconnected(self) -> None:
        """The link is back: the next state fills in the calls made meanwhile."""
        self._catching_up = True

    def take_state(self, state: QueueState) -> bool:
        """Takes a newer state; False (ignored) for one older than or equal to ours."""
        if self.state is not None and state.seq <= self.state.seq:
            return False
        first = self.state is None
        self.state = state
        if first or self._catching_up:
            # What was called before we started or while we were away: shown, never
            # announced. Only the first state after (re)connecting: a later one may hold
            # a call whose event is still on its way, to be announced when it comes.
            self._catching_up = False
            self._adopt(state.recent)
        return True

    def take_call(self, call: CallEvent, now: float) -> bool:
        """A call event: shown on top and announced once (False if seen before)."""
        if not self._mine(call) or any(shown.id == call.id for shown in self._calls):
            return False
        if not self._announce(call):
            return False
        # A recall shows the number once, on top, not twice.
        calls = [self._shown(call), *self._calls]
        self._calls = [c for c in calls[1:] if c.number != call.number]
        self._calls.insert(0, calls[0])
        del self._calls[RECENT_SHOWN + 1 :]
        self._arrived[call.id] = now
        shown = {c.id for c in self._calls}
        for gone in calls:
            if gone.id not in shown:
                self._held[gone.id] = (gone, self._arrived.get(gone.id, now))
        while self._held and next(iter(self._held.values()))[1] < now - HELD_SECONDS:
            self._held.popitem(last=False)
        # Only the calls on the board are looked up: forget the others, or a display that
        # runs for months keeps every call's id (bench/footprint_bench.py).
        self._arrived = {i: at for i, at in self._arrived.items() if i in shown}
        return True

    def model(
        self, wall: dt.datetime, now: float, speaking: str | None, offline: bool
    ) -> ScreenModel:
        """The screen model: the call being spoken (or else the newest) on top, even
        when newer calls pushed it off the board."""
        calls = list(self._calls)
        top = next((c for c in calls if c.id == speaking), None)
        if top is None and speaking is not None and speaking in self._held:
            top = self._held[speaking][0]
            # Calls are spoken in order: those held before it are said or skipped.
            while next(iter(self._held)) != speaking:
                self._held.popitem(last=False)
        if top is None:
            top = calls[0] if calls else None
        rest = tuple(c for c in calls if c is not top)[:RECENT_SHOWN]
        highlight = top is not None and (
            top.id == speaking or now - self._arrived.get(top.id, -1e9) < HIGHLIGHT_SECONDS
        )
        return ScreenModel(
            site_name=self.site.site.name,
            now=wall.astimezone(self._zone),
            newest=top,
            highlight=highlight,
            recent=rest,
            waiting=self._waiting(),
            notice=self.state.notice if self.state else "",
            offline=offline,
            english=self.display.english,
        )

    def _waiting(self) -> tuple[WaitingShown, ...]:
        if self.state is None:
            return ()
        views = {view.prefix: view for view in self.state.services}
        return tuple(
            WaitingShown(prefix, views[prefix].name, views[prefix].waiting)
            for prefix in self._services
            if prefix in views
        )

    def _adopt(self, recent: list[CallEvent]) -> None:
        """Adds the calls not seen yet to the board, newest first, each number once."""
        known = {shown.id for shown in self._calls}
        missed = [self._shown(call) for call in recent if self._mine(call) and call.id not in known]
        numbers: set[str] = set()
        calls = []
        for shown in sorted(self._calls + missed, key=lambda c: c.at, reverse=True):
            if shown.number not in numbers:
                numbers.add(shown.number)
                calls.append(shown)
        self._calls = calls[: RECENT_SHOWN + 1]

    def _mine(self, call: CallEvent) -> bool:
        return call.service in self._services

    def _shown(self, call: CallEvent) -> CallShown:
        return CallShown(
            id=call.id,
            number=call.number,
            counter_name=call.counter_name,
            service=call.service,
            at=dt.datetime.fromisoformat(call.at),
        )
