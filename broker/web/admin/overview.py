"""The administration overview: device alerts at a glance, and the notice line the
displays scroll."""

import logging

from flask import (
    render_template,
    request,
    url_for,
)

from broker.web.admin.common import (
    Invalid,
    Page,
    answer_form,
    bp,
    done,
    has_control,
    managers_only,
)
from broker.web.admin.devices import counts_by_state, device_rows
from broker.web.context import context
from broker.web.i18n import t

log = logging.getLogger(__name__)

NOTICE_MAX = 300


@bp.get("/admin/")
@managers_only
def index() -> Page:
    return _index()


@bp.post("/admin/notice")
@managers_only
def notice() -> Page:
    raw = request.form.get("notice", "")

    def publish() -> Page:
        text = clean_notice(raw)
        ctx = context()
        try:
            ctx.set_notice(text)
        except Exception:  # the publisher failed: say so, keep the old line
            log.exception("could not publish the notice")
            raise Invalid(t("adm_notice_failed"), 503) from None
        ctx.notice = text
        message = t("adm_notice_saved") if text else t("adm_notice_cleared")
        return done(message, url_for("admin.index"))

    return answer_form(publish, lambda error: _index(error=error, draft=raw))


def clean_notice(raw: str) -> str:
    """The notice as the displays will scroll it: one trimmed line, not too long."""
    text = raw.strip()
    if len(text) > NOTICE_MAX:
        raise Invalid(t("adm_notice_too_long").format(limit=NOTICE_MAX, length=len(text)))
    if has_control(text):
        raise Invalid(t("adm_notice_control"))
    return text


def _index(error: str = "", draft: str | None = None) -> str:
    ctx = context()
    rows = device_rows(ctx.site, ctx.devices.copy())
    return render_template(
        "admin_index.html",
        notice=ctx.notice if draft is None else draft,
        notice_max=NOTICE_MAX,
        error=error,
        counts=counts_by_state(rows),
        alerts=[row for row in rows if row.alarm],
        warnings=[row for row in rows if row.warning and not row.alarm],
    )
