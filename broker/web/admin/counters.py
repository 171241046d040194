"""The counters pages: the list with who is served, and a counter's live edit (name,
the services it serves)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import (
    render_template,
    request,
    url_for,
)
from msgspec.structs import replace
from werkzeug.datastructures import MultiDict

from broker.engine.engine import QueueEngine
from broker.site_overrides import changed_fields
from broker.web.admin.common import Page, bp, found_or_404, managers_only
from broker.web.admin.site_edits import (
    field_labels_of,
    one_line,
    reset_to_file,
    save_edit,
    shown_value,
    site_as_filed,
    with_counter,
)
from broker.web.context import context
from contract.site import Counter, Site


@dataclass(frozen=True, slots=True)
class CounterRow:
    number: int
    name: str
    services: list[tuple[str, str]]
    paused: bool
    serving: str
    waiting: int
    changed: list[str] = field(default_factory=list)


@bp.get("/admin/counters")
@managers_only
def counters() -> Page:
    site, file_site = context().site, site_as_filed()

    def today(engine: QueueEngine) -> list[CounterRow]:
        tickets = {ticket.id: ticket for ticket in engine.tickets()}
        states = {state.number: state for state in engine.counters()}
        rows = []
        for counter in site.counters:
            state = states.get(counter.number)
            current = tickets.get(state.current) if state and state.current else None
            original = file_site.counters_by_number[counter.number]
            rows.append(
                CounterRow(
                    number=counter.number,
                    name=counter.display_name,
                    services=[(p, site.services_by_prefix[p].name) for p in counter.services],
                    paused=bool(state and state.paused),
                    serving=current.number if current else "",
                    waiting=sum(engine.waiting_count(p) for p in counter.services),
                    changed=field_labels_of(changed_fields(original, counter)),
                )
            )
        return rows

    return render_template("admin_counters.html", rows=context().queue.read(today))


@bp.get("/admin/counters/<int:number>")
@managers_only
def edit_counter(number: int) -> Page:
    return _counter_page(_counter_or_404(number))


@bp.post("/admin/counters/<int:number>")
@managers_only
def save_counter(number: int) -> Page:
    counter = _counter_or_404(number)
    return save_edit(
        lambda site: _counter_as_sent(site, number, request.form),
        counter.display_name,
        then=url_for("admin.counters"),
        again=lambda error: _counter_page(counter, error=error, draft=_counter_draft()),
    )


@bp.post("/admin/counters/<int:number>/reset")
@managers_only
def reset_counter(number: int) -> Page:
    counter = _counter_or_404(number)
    original = site_as_filed().counters_by_number[number]
    return reset_to_file(
        lambda site: with_counter(site, original),
        original.display_name,
        then=url_for("admin.counters"),
        again=lambda error: _counter_page(counter, error=error),
    )


def _counter_as_sent(site: Site, number: int, form: MultiDict[str, str]) -> Site:
    """The site with the counter's name (not sent: as it is) and services as its form
    sends them."""
    name = one_line(form["name"], "name") if "name" in form else None
    # No service ticked sends no `services` at all: that is a counter serving none.
    chosen = form.getlist("services")
    current = site.counters_by_number[number]
    services = served_services(site, chosen, current.services)
    named = current.name if name is None else name
    return with_counter(site, replace(current, name=named, services=services))


def served_services(site: Site, chosen: Iterable[str], current: list[str]) -> list[str]:
    """The chosen prefixes in the site's order (the current order if the set is the same).

    A prefix the site does not have is kept, last, for the checks to name.
    """
    wanted = list(dict.fromkeys(p.strip() for p in chosen if p.strip()))
    if set(wanted) == set(current):
        return list(current)
    known = [s.prefix for s in site.services if s.prefix in wanted]
    return known + [p for p in wanted if p not in site.services_by_prefix]


def _counter_draft() -> dict[str, Any]:
    return {"name": request.form.get("name", ""), "services": request.form.getlist("services")}


def _counter_page(counter: Counter, error: str = "", draft: dict[str, Any] | None = None) -> str:
    site, file_site = context().site, site_as_filed()
    counter = site.counters_by_number[counter.number]
    original = file_site.counters_by_number[counter.number]
    changed = changed_fields(original, counter)
    values: dict[str, Any] = {"name": counter.name, "services": list(counter.services)}
    return render_template(
        "admin_counter_edit.html",
        counter=counter,
        values={**values, **(draft or {})},
        services=[(s.prefix, s.name) for s in site.services],
        file_values={name: shown_value(getattr(original, name)) for name in changed},
        error=error,
    )


def _counter_or_404(number: int) -> Counter:
    return found_or_404(context().site.counters_by_number.get(number))
