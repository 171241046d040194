"""The waiting line of one service and class, ordered by each ticket's queue key; the
places in the lines (`Position`, `WaitingNow`) and their estimated waits.

A heap with lazy deletion: a ticket that leaves the line (called, transferred,
cancelled) is not searched for; its entry is dropped when it reaches the top. So
taking the next ticket costs O(log n) however long the queue is.
"""

import datetime as dt
import heapq
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from broker.engine.tickets import Ticket
from contract.hours import local_time
from contract.site import Service, Site

QueueKey = tuple[object, ...]


class WaitingLine:
    """Tickets waiting in one service and one class (priority or regular)."""

    def __init__(self) -> None:
        self._heap: list[tuple[QueueKey, str]] = []
        self._members: set[str] = set()

    def __len__(self) -> int:
        return len(self._members)

    def add(self, ticket: Ticket) -> None:
        self._members.add(ticket.id)
        heapq.heappush(self._heap, (ticket.queue_key, ticket.id))

    def discard(self, ticket_id: str) -> None:
        self._members.discard(ticket_id)

    def __contains__(self, ticket_id: str) -> bool:
        return ticket_id in self._members

    def head(self, current_key: Callable[[str], QueueKey | None]) -> tuple[QueueKey, str] | None:
        """The first (key, ticket id), skipping entries that are no longer true.

        `current_key` gives a ticket's key now; an entry whose key differs is stale
        (the ticket left and came back with another key, which has its own entry).
        """
        while self._heap:
            key, ticket_id = self._heap[0]
            if ticket_id in self._members and current_key(ticket_id) == key:
                return key, ticket_id
            heapq.heappop(self._heap)
        return None

    def ids(self) -> set[str]:
        return set(self._members)


# -- the estimate ------------------------------------------------------------------------
#
# How long until a waiting ticket is called, and the range that should hold the real wait
# (`docs/queue-rules.md`, "Estimates"). Pure: the time it is reckoned at is given.

# The site's `expected_service_minutes` counts as this many service times seen today: it
# steers the first estimates of the day and soon gives way to the real times.
PRIOR_WEIGHT = 2.0
# Before the day shows their spread, service times are taken to vary by half their mean
# (a standard deviation of 0.5 x the mean), worth this many seen times.
PRIOR_SPREAD = 0.5
SPREAD_WEIGHT = 2.0
# The last `estimate_window` service times count fully, older ones half as much for every
# further `estimate_window` back; none older than this many windows is kept.
KEPT_WINDOWS = 8
# A citizen at the counter for longer than the mean still takes at least this share of
# it more: someone slow is not nearly done.
LEAST_LEFT = 0.25
# The range is the estimate +/- this many standard deviations (the 10th to the 90th
# percentile of a normal spread) and a few minutes more, for what no spread foresees.
RANGE_SIGMAS = 1.28
RANGE_FLOOR_MINUTES = 2.0
# A counter busy when a break starts finishes its citizen, then calls nobody until the
# break ends: the next call falls this far (one second) past the break's start.
AFTER_BREAK_MINUTES = 1 / 60


@dataclass(frozen=True, slots=True)
class Position:
    """Where a waiting ticket stands: people ahead and the estimated wait.

    `wait` is of open counter time (breaks not added: see `broker.views.ticket_info`);
    `low` and `high` bound the range the real wait should fall in, 8 times in 10.
    All three are None when no counter serving the ticket's service is open. They are
    made from `estimate` when read: the live pages place every waiting ticket after each
    change but show only a few, and a time span costs more to make than the sum.
    """

    ahead: int
    estimate: "Estimate | None" = None

    @property
    def wait(self) -> dt.timedelta | None:
        return _minutes(self.estimate.wait) if self.estimate else None

    @property
    def low(self) -> dt.timedelta | None:
        return _minutes(self.estimate.low) if self.estimate else None

    @property
    def high(self) -> dt.timedelta | None:
        return _minutes(self.estimate.high) if self.estimate else None


@dataclass(frozen=True, slots=True)
class ServiceTimes:
    """How long a service's citizens take at a counter, as learned today (minutes): the
    mean, its spread (standard deviation), and how many service times the mean stands on
    (the site's expectation counting as `PRIOR_WEIGHT` of them)."""

    mean: float
    sd: float
    weight: float


def service_times(recent: Sequence[float], expected: float, window: int) -> ServiceTimes:
    """The service times of today (`recent`, oldest first) weighed with the site's
    `expected` minutes: the last `window` count fully, each `window` further back half."""
    weights = [0.5 ** (max(0, age - window + 1) / window) for age in range(len(recent) - 1, -1, -1)]
    seen = sum(weights)
    total = PRIOR_WEIGHT + seen
    mean = (
        PRIOR_WEIGHT * expected + sum(w * x for w, x in zip(weights, recent, strict=True))
    ) / total
    squares = sum(w * (x - mean) ** 2 for w, x in zip(weights, recent, strict=True))
    variance = (SPREAD_WEIGHT * (PRIOR_SPREAD * mean) ** 2 + squares) / (SPREAD_WEIGHT + seen)
    return ServiceTimes(mean, math.sqrt(variance), total)


@dataclass(frozen=True, slots=True)
class CounterNow:
    """An open counter as the estimate sees it: what it serves, and the service of the
    citizen in front of it with the minutes they have been there (None: free)."""

    number: int
    services: tuple[str, ...]
    serving: str | None = None
    elapsed: float = 0.0


@dataclass(frozen=True, slots=True)
class Pace:
    """What the estimates of one moment are made of: the service times, the open counters,
    and for each service the open minutes from then to the start of each break ahead."""

    times: dict[str, ServiceTimes]
    counters: list[CounterNow]
    breaks: dict[str, list[float]]


def break_starts(site: Site, service: Service, now: dt.datetime | None) -> list[float]:
    """Open minutes of the service's hours from `now` to the start of each of the day's
    breaks still ahead; none when `now` is unknown."""
    if now is None:
        return []
    local = local_time(site, now).replace(tzinfo=None)
    periods = site.schedule_of(service).periods_on(local.date())
    starts = []
    open_minutes = 0.0
    for index, period in enumerate(periods):
        begin = max(local, dt.datetime.combine(local.date(), period.start))
        end = dt.datetime.combine(local.date(), period.end)
        if end <= local:
            continue
        open_minutes += max(0.0, (end - begin).total_seconds() / 60)
        if index < len(periods) - 1:
            starts.append(open_minutes)
    return starts


@dataclass(frozen=True, slots=True)
class Estimate:
    """A ticket's estimated wait and its range, in minutes of open counter time."""

    wait: float
    low: float
    high: float


def estimate_queue(pace: Pace, queue: Sequence[tuple[str, str]]) -> dict[str, Estimate | None]:
    """The estimate of each ticket in `queue` ((ticket id, service) in the order the
    counters call them: priority first, then by queue key), for counters that share
    their citizens: every counter of `pace` serving any of the queue's services.

    Each ticket in turn goes to the open counter of its service that is free first: a
    free one now, a busy one when its citizen is done (the mean less the time already
    spent, but at least `LEAST_LEFT` of the mean). Its wait is that moment; the counter is
    then busy for the ticket's mean service time. A service time that runs into a break
    ends the counter's work until the break is over. The spread of the service times
    ahead (adding up as variances, shared among the counters) and the doubt about the
    mean itself (fewer times seen, more doubt; growing with the wait) make the range.
    None for a ticket no open counter serves.
    """
    free: dict[int, float] = {}
    variance = 0.0
    for counter in pace.counters:
        if counter.serving is None:
            free[counter.number] = 0.0
            continue
        times = pace.times[counter.serving]
        free[counter.number] = max(times.mean - counter.elapsed, LEAST_LEFT * times.mean)
        # What is left of a service already under way varies less than a whole one.
        variance += times.sd**2 / 2
    found: dict[str, Estimate | None] = {}
    shared = max(1, len(pace.counters))
    able_for: dict[str, list[int]] = {}
    for ticket_id_, service in queue:
        able = able_for.get(service)
        if able is None:
            able = able_for[service] = [c.number for c in pace.counters if service in c.services]
        if not able:
            found[ticket_id_] = None
            continue
        number = min(able, key=lambda n: (free[n], n))
        wait = free[number]
        times = pace.times[service]
        spread = math.sqrt(variance) / shared
        doubt = wait * times.sd / times.mean / math.sqrt(times.weight)
        margin = RANGE_SIGMAS * math.hypot(spread, doubt) + RANGE_FLOOR_MINUTES
        found[ticket_id_] = Estimate(wait, max(0.0, wait - margin), wait + margin)
        end = wait + times.mean
        for start in pace.breaks.get(service, []):
            if wait < start < end:
                end = start + AFTER_BREAK_MINUTES
                break
        free[number] = end
        variance += times.sd**2
    return found


def _minutes(value: float) -> dt.timedelta:
    return dt.timedelta(0, value * 60)


def call_order(ticket: Ticket) -> tuple[bool, QueueKey]:
    """Priority tickets first, then by queue key: the order a group's counters call in."""
    return (not ticket.priority, ticket.queue_key)


def position_of(ahead: int, estimate: Estimate | None) -> Position:
    """A place in the line with its estimate as time spans."""
    return Position(ahead, estimate)


def share_counters(site: Site) -> list[tuple[frozenset[str], frozenset[int]]]:
    """The site's services in groups that share counters (directly or through another
    service), each with its counters: a ticket waits only behind its own group."""
    groups: list[tuple[set[str], set[int]]] = []
    for counter in site.counters:
        services = set(counter.services)
        numbers = {counter.number}
        for group in [g for g in groups if g[0] & services]:
            groups.remove(group)
            services |= group[0]
            numbers |= group[1]
        groups.append((services, numbers))
    grouped = {s for services, _ in groups for s in services}
    groups += [({s.prefix}, set()) for s in site.services if s.prefix not in grouped]
    return [(frozenset(services), frozenset(numbers)) for services, numbers in groups]


@dataclass(frozen=True, slots=True)
class WaitingNow:
    """Today's tickets, per service the ids waiting (priority, regular), and the pace of
    each group of services sharing counters (see `QueueEngine.waiting_now`)."""

    tickets: dict[str, Ticket]
    lines: dict[str, tuple[set[str], set[str]]]
    groups: list[tuple[frozenset[str], Pace]]

    def positions(self) -> dict[str, Position]:
        found: dict[str, Position] = {}
        for services, pace in self.groups:
            ahead: dict[str, int] = {}
            for service in sorted(services):
                priority, regular = self.lines.get(service, (set(), set()))
                # Priority tickets first: a regular ticket has every priority one ahead of it.
                ordered = sorted(priority, key=self._key) + sorted(regular, key=self._key)
                ahead.update((ticket_id_, n) for n, ticket_id_ in enumerate(ordered))
            # The group's tickets in the order its counters call them.
            waiting = sorted((self.tickets[i] for i in ahead), key=call_order)
            queue = [(t.id, t.service) for t in waiting]
            estimates = estimate_queue(pace, queue)
            for ticket_id_, _ in queue:
                found[ticket_id_] = position_of(ahead[ticket_id_], estimates[ticket_id_])
        return found

    def _key(self, ticket_id_: str) -> QueueKey:
        return self.tickets[ticket_id_].queue_key
