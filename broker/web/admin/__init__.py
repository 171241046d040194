"""Administration: the notice line, the devices, services and counters, staff accounts.

Managers and administrators see everything here; only administrators manage staff.
Services and counters are edited live (names, quotas, hours, counters' services): an
edit is checked like the site file, kept as overrides in the central's database and in
effect at once; adding or removing them still takes the site file and a restart. Every
form is validated here and answers in the visitor's language; bad input gives a message,
never an error page.
"""

# Each area's module adds its pages to the one "admin" blueprint (endpoints such as
# admin.services), so importing them is what registers the routes.
from broker.web.admin import counters, devices, overview, services, staff
from broker.web.admin.common import bp, init_app

__all__ = ["bp", "counters", "devices", "init_app", "overview", "services", "staff"]
