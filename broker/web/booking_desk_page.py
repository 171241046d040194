"""Booking at the help desk, under /bookings/: a signed-in clerk books for a citizen
without a phone and prints or shows the code large with its QR.

Any staff role may: the help desk is staffed by clerks as much as by managers. The
steps are the public pages' (`broker.web.booking_flow`), booked as `staff` under the
clerk's name, and not braked per address (the console's login is the brake).
"""

from flask import Flask

from broker.web.booking_flow import flow_blueprint


def init_app(app: Flask) -> None:
    app.register_blueprint(flow_blueprint("booking_desk", "/bookings", staff=True))
