"""The region's pages: at a glance, one site in depth, sites compared, the IKM."""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Blueprint, Flask, abort, current_app, render_template, request
from werkzeug.wrappers import Response

from contract.ikm import ELEMENTS
from hub.web import queries
from hub.web.auth import login_required, require_site, visible_site
from hub.web.db import db
from hub.web.words import t

bp = Blueprint("pages", __name__)

# A period longer than this is refused: the pages stay quick on a year of roll-ups.
MAX_PERIOD_DAYS = 366


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals.update(wait_words=wait_words, elements=ELEMENTS)


def now() -> dt.datetime:
    """The time the pages reckon with (tests set NOW in the config)."""
    fixed: dt.datetime | None = current_app.config.get("NOW")
    return fixed or dt.datetime.now(dt.UTC)


def wait_words(minutes: int | None, key: str) -> str:
    """ "9 dari 10 warga menunggu paling lama 12 menit", or "nobody called yet"."""
    return t("nobody_called") if minutes is None else t(key, minutes=minutes)


def period() -> tuple[dt.date, dt.date]:
    """The ?from=&to= dates (the last 30 days by default), or a 400."""
    today = now().date()
    try:
        first = dt.date.fromisoformat(request.args.get("from") or str(today - dt.timedelta(29)))
        last = dt.date.fromisoformat(request.args.get("to") or str(today))
    except ValueError:
        abort(400, t("bad_period"))
    if last < first or (last - first).days > MAX_PERIOD_DAYS:
        abort(400, t("bad_period"))
    return first, last


@bp.get("/region")
@login_required
def region() -> str:
    silent_after = dt.timedelta(minutes=current_app.config["SILENT_AFTER_MINUTES"])
    moment = now()
    glances = queries.region_glance(db(), moment, visible_site())
    return render_template(
        "region.html",
        glances=glances,
        silent_before=moment - silent_after,
    )


@bp.get("/site/<site>")
@login_required
def site(site: str) -> str:
    require_site(site)
    found = queries.sites(db(), site)
    if not found:
        abort(404)
    today = queries.local_day(found[0].timezone, now())
    return render_template(
        "site.html",
        site=found[0],
        today=queries.service_counts(db(), site, today, today),
        month=queries.service_counts(db(), site, today - dt.timedelta(29), today),
    )


@bp.get("/compare")
@login_required
def compare() -> str:
    first, last = period()
    names = {s.id: s.name for s in queries.sites(db(), visible_site())}
    rows = queries.compare_sites(db(), first, last, visible_site())
    return render_template("compare.html", rows=rows, names=names, first=first, last=last)


@bp.get("/ikm")
@login_required
def ikm() -> str:
    first, last = period()
    level = _level()
    rows = queries.ikm_rows(db(), first, last, level, visible_site())
    return render_template("ikm.html", rows=rows, level=level, first=first, last=last)


@bp.get("/ikm.csv")
@login_required
def ikm_csv() -> Response:
    first, last = period()
    level = _level()
    rows = queries.ikm_rows(db(), first, last, level, visible_site())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["site", "agency", "service", "respondents"]
        + [f"NRR {e.code}" for e in ELEMENTS]
        + ["IKM", "converted", "grade"]
    )
    for row in rows:
        writer.writerow(
            [row.site, row.agency, row.service, row.ikm.respondents]
            + [f"{float(mean):.3f}" for mean in row.ikm.element_means]
            + [f"{float(row.ikm.index):.3f}", str(row.ikm.score), row.ikm.grade.letter]
        )
    name = f"ikm-{level}-{first}-{last}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _level() -> str:
    level = request.args.get("per", "service")
    if level not in queries.IKM_LEVELS:
        abort(400)
    return level
