"""The day to play: who comes when, for what, how long they take. Pure and seeded.

Arrivals follow a non-homogeneous Poisson process: each service's expected tickets a
day spread over the minutes it issues tickets, weighted by the hour of the day (a
morning peak at 09:00-11:00, a smaller one after the lunch break). A citizen comes only
while the service issues tickets, as people who know the hours do. Each one is a
priority citizen (lansia, disabilitas, ibu hamil, balita) with one chance in ten, and
does not come when called (a no-show) with one in twenty. Service times are lognormal
around each service's mean: passports take long, a tax payment is quick.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from dataclasses import dataclass
from pathlib import Path

from contract.hours import issuing_refusal
from contract.site import Site

# The site the profile below is of: MPP Samarinda, the example.
EXAMPLE_SITE = Path(__file__).resolve().parent.parent / "examples" / "samarinda" / "site.toml"
# The relative weight of arrivals in each local hour: the morning peak of an MPP, a dip
# before the lunch break, a second, smaller wave after it. Hours not listed weigh 0.
HOURLY_SHAPE: dict[int, float] = {
    7: 0.2,
    8: 1.0,
    9: 1.6,
    10: 1.5,
    11: 1.0,
    12: 0.5,
    13: 0.9,
    14: 0.6,
    15: 0.3,
}
PRIORITY_SHARE = 0.10
NO_SHOW_SHARE = 0.05
# The spread of service times (sigma of the logarithm): most near the mean, a long tail.
SERVICE_TIME_SIGMA = 0.5


@dataclass(frozen=True, slots=True)
class ServiceProfile:
    """A service's true mean service time and its expected tickets on a whole day."""

    minutes: float
    per_day: float


# MPP Samarinda (examples/samarinda): how long each service really takes, and how many
# come. The site file says 10 minutes for every service (its estimate's first guess):
# the central has to learn the real times from the day, as it would on a real one.
SAMARINDA: dict[str, ServiceProfile] = {
    "A": ServiceProfile(14, 38),  # paspor
    "B": ServiceProfile(7, 80),  # perpanjangan SIM
    "C": ServiceProfile(6, 90),  # SKCK
    "D": ServiceProfile(12, 18),
    "E": ServiceProfile(10, 30),
    "F": ServiceProfile(8, 70),  # PBB, BPHTB
    "G": ServiceProfile(9, 35),
    "H": ServiceProfile(6, 45),  # KTP elektronik
    "I": ServiceProfile(9, 25),  # KK, akta
    "J": ServiceProfile(15, 30),
    "K": ServiceProfile(20, 8),
    "L": ServiceProfile(8, 38),
    "M": ServiceProfile(12, 25),
    "N": ServiceProfile(5, 100),  # pajak kendaraan
    "O": ServiceProfile(15, 18),
    "P": ServiceProfile(10, 18),
    "Q": ServiceProfile(6, 20),
    "R": ServiceProfile(5, 50),
    "S": ServiceProfile(20, 12),
    "T": ServiceProfile(10, 12),
    "U": ServiceProfile(8, 15),
    "V": ServiceProfile(15, 15),
    "W": ServiceProfile(5, 40),
    "X": ServiceProfile(4, 25),
}
# A service the profile does not know: its site's expected minutes, this many a day.
DEFAULT_PER_DAY = 30.0


@dataclass(frozen=True, slots=True)
class Citizen:
    """One visitor: when they press, which button, and what happens at the counter."""

    index: int
    at: dt.datetime
    service: str
    kiosk: str
    priority: bool
    no_show: bool
    # How long the counter takes with them, if they come.
    service_minutes: float

    @property
    def request_id(self) -> str:
        return f"sim-{self.index:05d}"


@dataclass(frozen=True, slots=True)
class DayPlan:
    """The citizens of one simulated day between `start` and `end` (site-local times)."""

    site: Site
    day: dt.date
    start: dt.datetime
    end: dt.datetime
    services: list[str]
    counters: list[int]
    citizens: list[Citizen]
    profile: dict[str, ServiceProfile]
    seed: int


def profile_for(site: Site, services: list[str]) -> dict[str, ServiceProfile]:
    """The example's profile where it knows a service, else the site's own expectation."""
    known = SAMARINDA if site.site.id == "samarinda" else {}
    return {
        prefix: known.get(
            prefix,
            ServiceProfile(
                site.services_by_prefix[prefix].expected_service_minutes, DEFAULT_PER_DAY
            ),
        )
        for prefix in services
    }


def plan_day(
    site: Site,
    day: dt.date,
    start: dt.time,
    end: dt.time,
    *,
    services: list[str] | None = None,
    seed: int = 1,
    demand: float = 1.0,
) -> DayPlan:
    """Draws the day's citizens between `start` and `end` (local times on `day`)."""
    zone = site.site.timezone
    chosen = services or [service.prefix for service in site.services]
    unknown = [prefix for prefix in chosen if prefix not in site.services_by_prefix]
    if unknown:
        raise ValueError(f"no such service: {', '.join(unknown)}")
    if not site.kiosks:
        raise ValueError("the site has no kiosk to press buttons at")
    begin = dt.datetime.combine(day, start, tzinfo=zone)
    finish = dt.datetime.combine(day, end, tzinfo=zone)
    if finish <= begin:
        raise ValueError("the end must be after the start")
    profile = profile_for(site, chosen)
    rng = random.Random(seed)
    kiosk_of = _kiosks_by_service(site)
    drawn: list[tuple[dt.datetime, str]] = []
    for prefix in chosen:
        weights = _minute_weights(site, prefix, day)
        total = sum(weights.values())
        if total == 0:
            continue
        rate = profile[prefix].per_day * demand / total
        for minute, weight in weights.items():
            if not begin <= minute < finish:
                continue
            for _ in range(_poisson(rng, rate * weight)):
                drawn.append((minute + dt.timedelta(seconds=rng.uniform(0, 60)), prefix))
    drawn.sort()
    citizens = []
    for index, (at, prefix) in enumerate(drawn):
        mean = profile[prefix].minutes
        mu = math.log(mean) - SERVICE_TIME_SIGMA**2 / 2
        citizens.append(
            Citizen(
                index=index,
                at=at,
                service=prefix,
                kiosk=kiosk_of.get(prefix, site.kiosks[0].id),
                priority=rng.random() < PRIORITY_SHARE,
                no_show=rng.random() < NO_SHOW_SHARE,
                service_minutes=rng.lognormvariate(mu, SERVICE_TIME_SIGMA),
            )
        )
    counters = [c.number for c in site.counters if any(s in chosen for s in c.services)]
    return DayPlan(site, day, begin, finish, chosen, counters, citizens, profile, seed)


def _minute_weights(site: Site, prefix: str, day: dt.date) -> dict[dt.datetime, float]:
    """Every minute of the day the service issues tickets, with its hour's weight."""
    zone = site.site.timezone
    service = site.services_by_prefix[prefix]
    weights = {}
    moment = dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone)
    for _ in range(24 * 60):
        weight = HOURLY_SHAPE.get(moment.hour, 0.0)
        # Periods start and end on whole minutes: the minute's last second stands for it.
        if weight > 0 and issuing_refusal(site, service, moment + dt.timedelta(seconds=59)) is None:
            weights[moment] = weight
        moment += dt.timedelta(minutes=1)
    return weights


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method: the means here are well below one)."""
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _kiosks_by_service(site: Site) -> dict[str, str]:
    """The kiosk with the service's button (the first one, if several have it)."""
    found: dict[str, str] = {}
    for kiosk in site.kiosks:
        for button in kiosk.buttons:
            found.setdefault(button.service, kiosk.id)
    return found


def on_break(site: Site, services: list[str], moment: dt.datetime) -> dt.datetime | None:
    """When every one of these services is between two periods: the end of that break."""
    local = moment.astimezone(site.site.timezone)
    ends = []
    for prefix in services:
        periods = site.schedule_of(site.services_by_prefix[prefix]).periods_on(local.date())
        clock = local.time()
        gap = next(
            (
                later.start
                for earlier, later in itertools.pairwise(periods)
                if earlier.end <= clock < later.start
            ),
            None,
        )
        if gap is None:
            return None
        ends.append(dt.datetime.combine(local.date(), gap, tzinfo=site.site.timezone))
    return min(ends) if ends else None
