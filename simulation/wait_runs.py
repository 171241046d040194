"""The wait estimate by simulation, measured beside the central's (`simulation.replay
--estimate runs`): the calls still to come played many times over with service times
drawn from those seen, the median wait as the point, the spread of the runs as the range.

The median is what brings the mean absolute error lowest, and across a break (a wait
before it or an hour later) it lands on a wait that may happen where a mean does not. On
six played days it did better than the central's estimate by 0.17 minutes, less than
days differ, at 35 to 40 times its cost; handed the simulation's true service times it
still missed the 5-minute goal on five (`docs/benchmarks.md`). The central does not use
it; it is kept to measure against.

Pure: the generator is seeded with a constant, so the same state gives the same estimate.
The runs are held side by side, one list per counter with an entry per run, so that a
ticket costs a few list comprehensions where the counters serving it are interchangeable.
"""

import bisect
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

from broker.engine.waiting import LEAST_LEFT, PRIOR_SPREAD, PRIOR_WEIGHT, Estimate, Pace

# How many times the calls to come are played: an odd count, so that the median is one
# of the runs (on both sides of a break it falls on one side, never between).
RUNS = 201
SEED = 16
# The range holds the runs between these two shares (the 10th to the 90th percentile).
LOW_SHARE = 0.10
HIGH_SHARE = 0.90
# And a few minutes more on each side, for what no run foresees (the central's floor): a
# clerk's minute to look up before calling the next, a citizen who does not come.
RANGE_FLOOR_MINUTES = 2.0
# A counter busy when a break starts finishes its citizen, then calls nobody until the
# break ends: the next call falls this far (one second) past the break's start.
AFTER_BREAK_MINUTES = 1 / 60
# A service time known only by its mean and spread (the site's expectation before the
# day shows any) is drawn from this many points of a lognormal with them.
SHAPE_POINTS = 16


@dataclass(frozen=True, slots=True)
class Runs:
    """One ticket's waits over every run (open minutes), sorted."""

    waits: list[float]

    def share(self, share: float) -> float:
        """The wait that this share of the runs stays within."""
        return self.waits[min(len(self.waits) - 1, int(share * len(self.waits)))]

    @property
    def median(self) -> float:
        return self.waits[len(self.waits) // 2]


def lognormal_points(mean: float, sd: float, count: int = SHAPE_POINTS) -> list[float]:
    """`count` evenly spaced quantiles of a lognormal of this mean and spread: draws that
    stand for it (all `mean` when it does not vary)."""
    if mean <= 0 or sd <= 0:
        return [max(0.0, mean)] * count
    sigma = math.sqrt(math.log1p((sd / mean) ** 2))
    mu = math.log(mean) - sigma**2 / 2
    normal = NormalDist()
    return [math.exp(mu + sigma * normal.inv_cdf((i + 0.5) / count)) for i in range(count)]


def pool_of(seen: Sequence[float], expected: float) -> list[float]:
    """The service times to draw from, sorted: those `seen` today, and the site's
    `expected` minutes as a lognormal worth `PRIOR_WEIGHT` of them (as the central's)."""
    prior = lognormal_points(expected, PRIOR_SPREAD * expected)
    # Each time seen is repeated, so that the prior's points together weigh as said.
    copies = max(1, round(len(prior) / PRIOR_WEIGHT))
    return sorted([*seen] * copies + prior)


def leftover(pool: Sequence[float], elapsed: float) -> list[float]:
    """What may be left of a service already `elapsed` minutes long: the times of the
    pool longer than that, less it (when none is, `LEAST_LEFT` of the pool's mean)."""
    longer = pool[bisect.bisect_right(pool, elapsed) :]
    if not longer:
        return [LEAST_LEFT * sum(pool) / max(1, len(pool))]
    return [t - elapsed for t in longer]


def _cut_at_breaks(starts: list[float], ends: list[float], breaks: Sequence[float]) -> list[float]:
    """The ends of the services begun at `starts`: one that runs into a break ends the
    counter's work until the break is over."""
    for start in breaks:
        after = start + AFTER_BREAK_MINUTES
        ends = [after if s < start < e else e for s, e in zip(starts, ends, strict=True)]
    return ends


def _in_order(free: list[list[float]]) -> list[list[float]]:
    """The counters' free times sorted within each run (counter 0: the first free)."""
    return [list(column) for column in zip(*map(sorted, zip(*free, strict=True)), strict=True)]


def play(
    free: list[list[float]],
    serves: Sequence[frozenset[str]],
    queue: Sequence[tuple[str, str]],
    pools: dict[str, Sequence[float]],
    breaks: dict[str, list[float]],
    rng: random.Random,
) -> dict[str, Runs | None]:
    """Each ticket of `queue` in turn goes to the counter of its service free first; its
    wait is that moment, in every run. `free[c]`: when counter c is first free, per run;
    `serves[c]`: the services it calls. None for a ticket no counter serves."""
    runs = len(free[0]) if free else 0
    # Counters serving the same are interchangeable: each run's free times are kept in
    # order and the ticket takes the first; otherwise each run picks its counter.
    alike = all(
        all(service in s for s in serves) or not any(service in s for s in serves)
        for _, service in queue
    )
    if alike and free:
        free = _in_order(free)
    found: dict[str, Runs | None] = {}
    for ticket_id, service in queue:
        able = [c for c, s in enumerate(serves) if service in s]
        if not able:
            found[ticket_id] = None
            continue
        draws = rng.choices(pools[service], k=runs)
        if alike or len(able) == 1:
            waits = free[0 if alike else able[0]]
        else:
            waits = [min(free[c][r] for c in able) for r in range(runs)]
        ends = [w + d for w, d in zip(waits, draws, strict=True)]
        ends = _cut_at_breaks(waits, ends, breaks.get(service, []))
        found[ticket_id] = Runs(sorted(waits))
        if alike:
            free = _in_order([*free[1:], ends])
        elif len(able) == 1:
            free[able[0]] = ends
        else:
            for r in range(runs):
                taken = min(able, key=lambda c: free[c][r])
                free[taken][r] = ends[r]
    return found


def waits_by_runs(
    pace: Pace,
    queue: Sequence[tuple[str, str]],
    pools: dict[str, list[float]],
    runs: int = RUNS,
) -> dict[str, Runs | None]:
    """Each ticket's waits over `runs` plays of the calls to come, drawing each service's
    times from its pool (the citizen at a counter from what is left of them)."""
    rng = random.Random(SEED)
    free = []
    for counter in pace.counters:
        if counter.serving is None:
            free.append([0.0] * runs)
        else:
            left = leftover(pools[counter.serving], counter.elapsed)
            free.append(rng.choices(left, k=runs))
    serves = [frozenset(c.services) for c in pace.counters]
    return play(free, serves, queue, dict(pools), pace.breaks, rng)


def estimate_by_runs(
    pace: Pace,
    queue: Sequence[tuple[str, str]],
    pools: dict[str, list[float]],
    runs: int = RUNS,
) -> dict[str, Estimate | None]:
    """The estimate of each ticket in `queue` (as `broker.engine.waiting.estimate_queue`)
    from `waits_by_runs`: the median wait, and the range between the `LOW_SHARE` and
    `HIGH_SHARE` of the runs."""
    return {
        ticket_id: (
            Estimate(
                found.median,
                max(0.0, found.share(LOW_SHARE) - RANGE_FLOOR_MINUTES),
                found.share(HIGH_SHARE) + RANGE_FLOOR_MINUTES,
            )
            if found is not None
            else None
        )
        for ticket_id, found in waits_by_runs(pace, queue, pools, runs).items()
    }
