"""Checks a site file and summarises it (`antre-check-config FILE`).

Exit status 0 when the file loads, with a short summary on stdout; 1 when it does not,
with the file, the key and the problem on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from contract.errors import ConfigError
from contract.site import Service, Site
from contract.site_loader import load_site


def summary(site: Site) -> str:
    """A short human summary: the site, the counts, then one line per service."""
    info = site.site
    lines = [
        f"{info.name} (id {info.id}, time zone {info.timezone.key})",
        f"{_count(len(site.agencies), 'agency', 'agencies')}, "
        f"{_count(len(site.services), 'service', 'services')}, "
        f"{_count(len(site.counters), 'counter', 'counters')}, "
        f"{_count(len(site.kiosks), 'kiosk', 'kiosks')}, "
        f"{_count(len(site.displays), 'display', 'displays')}, "
        f"{_count(len(site.survey_units), 'survey unit', 'survey units')}",
        "",
    ]
    if site.hub is not None:
        state = "enabled" if site.hub.enabled else "disabled"
        lines[-1:-1] = [
            f"hub: {site.hub.host}:{site.hub.port} ({state}, "
            f"resend after {site.hub.resend_seconds:g} s)"
        ]
    rows = [_service_row(site, service) for service in site.services]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)] if rows else []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines) + "\n"


def _service_row(site: Site, service: Service) -> tuple[str, ...]:
    agency = site.agencies_by_id[service.agency].name
    quota = "tanpa kuota" if service.daily_quota is None else f"kuota {service.daily_quota}/hari"
    if service.booking is not None:
        quota += ", booking"
    numbers = [str(counter.number) for counter in site.counters_serving(service.prefix)]
    loket = f"loket {', '.join(numbers)}"
    return (service.prefix, service.name, agency, quota, loket)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="antre-check-config",
        description="Check an Antre site configuration file and summarise it.",
    )
    parser.add_argument("file", help="the site TOML file, e.g. examples/samarinda/site.toml")
    args = parser.parse_args(argv)
    try:
        site = load_site(args.file)
    except ConfigError as e:
        print(e, file=sys.stderr)
        return 1
    sys.stdout.write(summary(site))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
