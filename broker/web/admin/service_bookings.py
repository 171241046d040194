"""A service's booking rules as its edit page's form shows and sends them.

The rules are one value (`BookingRules`): the form sends them whole, and they are saved
as one live edit (their parts only make sense together), checked like the site file.
"""

from collections.abc import Mapping

from broker.web.admin.common import Invalid
from broker.web.admin.site_edits import field_label, whole_number
from broker.web.i18n import t
from contract.site import WEEKDAYS
from contract.site_bookings import BookingRules, Session, WeeklySessions

# The form's number fields, with the rules' defaults for a service that had none.
NUMBER_FIELDS = (
    "slot_minutes",
    "days_ahead",
    "closes_minutes_before",
    "check_in_before_minutes",
    "check_in_after_minutes",
)
SESSION_FIELD = "sessions_{day}"


def booking_values(rules: BookingRules | None) -> dict[str, str]:
    """The form's values for `rules` (none: the defaults, bookings off)."""
    shown = rules or BookingRules(sessions=WeeklySessions())
    values = {name: str(getattr(shown, name)) for name in NUMBER_FIELDS}
    values.update(
        {
            SESSION_FIELD.format(day=day): ", ".join(str(s) for s in getattr(shown.sessions, day))
            for day in WEEKDAYS
        }
    )
    kept = shown.kept_for_bookings
    values.update(
        takes_bookings="on" if rules is not None else "",
        kept_for_bookings="" if kept is None else str(kept),
        opens_at=shown.opens_at,
        late=shown.late,
    )
    return values


def parse_booking_form(form: Mapping[str, str]) -> BookingRules | None:
    """The booking rules the form sends (None: the service takes no bookings); `Invalid`
    for what is no value. Limits are left to the site's checks, said as for the file."""
    if form.get("takes_bookings") != "on":
        return None
    sessions = WeeklySessions(
        **{day: _sessions(form.get(SESSION_FIELD.format(day=day), ""), day) for day in WEEKDAYS}
    )
    numbers = {name: whole_number(form.get(name, ""), name) for name in NUMBER_FIELDS}
    kept_text = form.get("kept_for_bookings", "").strip()
    kept = whole_number(kept_text, "kept_for_bookings") if kept_text else None
    late = form.get("late", "walk_in")
    if late not in ("walk_in", "refuse"):
        raise Invalid(t("adm_err_late"))
    return BookingRules(
        sessions=sessions,
        kept_for_bookings=kept,
        opens_at=form.get("opens_at", "").strip(),
        late="refuse" if late == "refuse" else "walk_in",
        **numbers,
    )


def _sessions(text: str, day: str) -> list[Session]:
    sessions = []
    for part in text.split(","):
        if not part.strip():
            continue
        try:
            sessions.append(Session.parse(part.strip()))
        except ValueError:
            raise Invalid(
                t("adm_err_session").format(field=field_label(day), text=part.strip()[:40])
            ) from None
    return sessions
