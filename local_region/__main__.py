"""`make run-region`: a region's hub and three simulated MPPs on this machine.

Starts PostgreSQL, the hub's Mosquitto (TLS), antre-hub and antre-hub-web, then three
sites (each its Mosquitto with the bridge to the hub, its central, and simulated
citizens and clerks), makes a regional administrator, prints the hub's address and
login, and takes commands from the terminal:

    cut smd       cut Samarinda's uplink to the hub (it goes on serving)
    restore smd   give it back: the hub catches up, nothing lost or doubled
    q             stop everything (Ctrl-C does too)

Everything logs to var/region/ (ANTRE_REGION_DIR).
"""

import argparse
import datetime as dt
import signal
import sys
import time
from collections.abc import Iterator

from contract.hours import issuing_refusal
from contract.site import Site
from contract.site_loader import load_site
from local_mpp.mall import SITE_FILE, site_clock_args
from local_region.region import ADMIN, HOME, SILENT_AFTER_MINUTES, Region

WEB_WAIT_S = 60.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make run-region", description=__doc__)
    parser.add_argument("--simulate-from", help="the sites' clock starts here")
    args = parser.parse_args(argv)
    clock_args = region_clock_args(load_site(SITE_FILE), args.simulate_from)
    region = Region(clock_args)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        region.start()
        deadline = time.monotonic() + WEB_WAIT_S
        while not region.web_answers():
            if time.monotonic() > deadline:
                raise SystemExit(f"antre: antre-hub-web did not answer: see {HOME}")
            time.sleep(0.2)
        _greet(region)
        _console(region)
    except KeyboardInterrupt:
        print()
    finally:
        region.stop()
    return 0


def region_clock_args(site: Site, simulate_from: str | None) -> list[str]:
    """Real time when the sites are open; closed, 09:00 of today if it is an open day,
    so the hub's "today" (real time) holds what the sites do; else `make run`'s choice."""
    if simulate_from:
        return ["--simulate-from", simulate_from]
    now = dt.datetime.now(dt.UTC)
    if issuing_refusal(site, site.services[0], now) is None:
        return []
    today = now.astimezone(site.site.timezone).date()
    if today.weekday() >= 5 or today in site.site.holidays:
        return site_clock_args(site, None)
    start = dt.datetime.combine(today, dt.time(9, 0), tzinfo=site.site.timezone)
    print(f"The sites are closed now: their clocks run from {start:%A %d %B %H:%M}.")
    return ["--simulate-from", start.isoformat()]


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _greet(region: Region) -> None:
    sites = ", ".join(f"{site.site_id} ({site.name})" for site in region.sites.values())
    silent_s = round(SILENT_AFTER_MINUTES * 60)
    print(
        f"\nAntre region is running: a hub and three sites: {sites}.\n"
        f"Hub: {region.web}region  (log in as {ADMIN}, password {region.password})\n"
        "Cut a site's link to the hub: cut smd; give it back: restore smd; q quits.\n"
        f"A site cut for {silent_s} s shows 'tidak ada kabar sejak' on the region page; "
        "restored, it catches up.\n"
        f"Logs of every process are in {HOME}.\n",
        flush=True,
    )


def _console(region: Region) -> None:
    for line in _lines():
        words = line.split()
        if not words:
            continue
        if words[0].lower() in ("q", "quit", "exit"):
            return
        if len(words) == 2 and words[0] in ("cut", "restore"):
            done = region.cut(words[1]) if words[0] == "cut" else region.restore(words[1])
            when = dt.datetime.now().strftime("%H:%M:%S")
            print(f"  {words[1]}: link {words[0]} at {when}" if done else "  no such site")
        else:
            print("  cut <site> | restore <site> | q")
        for name, process in region.processes.items():
            if process.poll() is not None:
                print(f"  {name} has stopped: see {HOME / (name + '.log')}")


def _lines() -> Iterator[str]:
    while True:
        try:
            yield input("region> ")
        except EOFError:
            return


if __name__ == "__main__":
    sys.exit(main())
