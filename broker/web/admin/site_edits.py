"""Live edits of the site: how an edit of services or counters is checked, saved and
put in effect, the form values they share, and how a refusal is worded for the manager."""

import logging
import math
import re
import threading
from collections.abc import Callable, Iterable

from msgspec.structs import replace

from broker.site_overrides import SETTING as OVERRIDES
from broker.site_overrides import dump_overrides, overrides_between, site_problems
from broker.web.admin.common import NAME_MAX, Invalid, Page, answer_form, done, has_control
from broker.web.context import context
from broker.web.i18n import t
from broker.web.security import current_user
from contract.errors import AntreError
from contract.site import WEEKDAYS, Counter, Schedule, Service, Site

log = logging.getLogger(__name__)


# An edit builds a new site (nothing is changed in place), checks it as the site file is
# checked, saves what differs from the file as overrides in the central's database, then
# swaps the site in everywhere it is held. Edits are made one at a time.

_EDITS = threading.Lock()
# The field names of the forms, as the i18n labels name them.
FIELD_LABELS = {
    "name": "adm_name",
    "name_en": "adm_name_en",
    "daily_quota": "adm_quota",
    "cutoff_minutes": "adm_cutoff_minutes",
    "expected_service_minutes": "adm_expected",
    "schedule": "adm_schedule",
    "booking": "adm_booking",
    "services": "adm_services",
    **{day: f"adm_day_{day}" for day in WEEKDAYS},
}
NUMBER_MAX = 6


def one_line(raw: str, name: str) -> str:
    text = raw.strip()
    if len(text) > NAME_MAX or has_control(text):
        raise Invalid(t("adm_err_one_line").format(field=field_label(name), limit=NAME_MAX))
    return text


def whole_number(raw: str, name: str) -> int:
    text = raw.strip()
    if not text.isdigit() or len(text) > NUMBER_MAX:
        raise Invalid(t("adm_err_whole_number").format(field=field_label(name), text=text[:20]))
    return int(text)


def minutes_value(raw: str) -> float:
    text = raw.strip().replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise Invalid(
            t("adm_err_number").format(
                field=field_label("expected_service_minutes"), text=text[:20]
            )
        )
    return value


def with_service(site: Site, service: Service) -> Site:
    services = [service if s.prefix == service.prefix else s for s in site.services]
    return replace(site, services=services)


def with_schedule(site: Site, schedule: Schedule) -> Site:
    schedules = [schedule if s.id == schedule.id else s for s in site.schedules]
    return replace(site, schedules=schedules)


def with_counter(site: Site, counter: Counter) -> Site:
    counters = [counter if c.number == counter.number else c for c in site.counters]
    return replace(site, counters=counters)


def site_as_filed() -> Site:
    """The site as its file says, before the live edits."""
    ctx = context()
    if ctx.file_site is None:
        ctx.file_site = ctx.site
    return ctx.file_site


def edit_site(change: Callable[[Site], Site]) -> None:
    """Makes a live edit, in effect on return; refused, it raises `Invalid` with the status.

    The new site is checked, then its differences from the file are saved, then it
    replaces the old one in the queue (under the queue's lock), here, and at the
    central's worker. A refused or unsaved edit changes nothing, nor does a `change`
    that refuses a value of its form by raising `Invalid`.
    """
    ctx = context()
    with _EDITS:
        file_site = site_as_filed()
        site = change(ctx.site)
        problems = site_problems(site)
        if problems:
            listed = "; ".join(problem_text(key, problem) for key, problem in problems)
            raise Invalid(t("adm_err_site").format(problems=listed), 400)
        try:
            ctx.queue.set_setting(OVERRIDES, dump_overrides(overrides_between(file_site, site)))
        except AntreError:  # a full disk: nothing saved, so nothing applied
            log.exception("could not save the site overrides")
            raise Invalid(t("adm_err_site_save"), 503) from None
        ctx.queue.replace_site(site)
        ctx.site = site
        ctx.replace_site(site)
    log.info("site edited live by %s", getattr(current_user(), "username", "?"))


def save_edit(
    change: Callable[[Site], Site], what: str, *, then: str, again: Callable[[str], str]
) -> Page:
    """The answer to the form editing `what` live: `change` builds the edited site from
    the form (refusing a value of it with `Invalid`); the edit made, the manager goes on
    to `then`, where it is said to be in effect. Refused, the form comes `again`."""
    return _answer_edit(change, t("adm_site_saved").format(what=what), then, again)


def reset_to_file(
    change: Callable[[Site], Site], what: str, *, then: str, again: Callable[[str], str]
) -> Page:
    """The answer to the button putting `what` back as the site file has it: `change`
    builds that site, and the rest is as for `save_edit`."""
    return _answer_edit(change, t("adm_site_reset").format(what=what), then, again)


def _answer_edit(
    change: Callable[[Site], Site], said: str, then: str, again: Callable[[str], str]
) -> Page:
    def edit() -> Page:
        edit_site(change)
        return done(said, then)

    return answer_form(edit, again)


_NUMBER_LIMIT = re.compile(
    r"^Expected `(?P<type>\w+)`(?P<length> of length)? (?P<op>[<>]=?) (?P<n>\S+)$"
)
_LIMIT_WORDS = {">=": "ge", "<=": "le", ">": "gt", "<": "lt"}
_NO_COUNTER = re.compile(r"^no counter serves service '(?P<prefix>[^']*)'$")
_OVERLAP = re.compile(
    r"^periods must be in order and must not overlap \((?P<first>\S+) then (?P<second>\S+)\)$"
)
_UNKNOWN = re.compile(r"^unknown (?P<what>service|schedule) '(?P<value>[^']*)'$")


def problem_text(key: str, problem: str) -> str:
    """A problem of the site checks in the visitor's language, after its key."""
    words = problem
    if problem == "a counter must serve at least one service":
        words = t("adm_pb_counter_empty")
    elif found := _NO_COUNTER.match(problem):
        words = t("adm_pb_no_counter").format(prefix=found["prefix"])
    elif found := _OVERLAP.match(problem):
        words = t("adm_pb_overlap").format(first=found["first"], second=found["second"])
    elif found := _UNKNOWN.match(problem):
        words = t(f"adm_pb_unknown_{found['what']}").format(value=found["value"])
    elif found := _NUMBER_LIMIT.match(problem):
        kind = "length" if found["length"] else "number"
        words = t(f"adm_pb_{kind}_{_LIMIT_WORDS[found['op']]}").format(n=found["n"])
    return f"{key}: {words}" if key else words


def field_labels_of(fields: Iterable[str]) -> list[str]:
    return [field_label(name) for name in fields]


def field_label(name: str) -> str:
    return t(FIELD_LABELS.get(name, name))


def shown_value(value: object) -> str:
    """A file value as the page shows it beside the live one."""
    if value is None:
        return t("adm_no_quota")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or t("adm_closed")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value) if value != "" else "—"


def schedule_changed(site: Site, file_site: Site, schedule_id: str) -> bool:
    return file_site.schedules_by_id.get(schedule_id) != site.schedules_by_id[schedule_id]
