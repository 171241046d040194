"""The hub sender records the site's settings and device states, only when they change."""

from __future__ import annotations

from pathlib import Path

import msgspec

from broker.hub_link.sender import HubSender
from broker.hub_link.stream import HubStream
from contract.hub_stream import DeviceStates, SiteSettings
from contract.site import Site
from tests.broker_fixtures import WAIT, Mosquitto, Provisioned, wait_until


def recorded(db: Path) -> list[SiteSettings | DeviceStates]:
    stream = HubStream(db)
    try:
        bodies = [r.body for r in stream.records(0, stream.last_seq())]
    finally:
        stream.close()
    return [b for b in bodies if isinstance(b, SiteSettings | DeviceStates)]


def start_sender(provisioned: Provisioned, site: Site, db: Path) -> HubSender:
    sender = HubSender(
        site, provisioned.credentials["central"], db, resend_seconds=30, poll_seconds=0.05
    )
    sender.start()
    return sender


def renamed_first_service(site: Site, name: str) -> Site:
    first = msgspec.structs.replace(site.services[0], name=name)
    return msgspec.structs.replace(site, services=[first, *site.services[1:]])


def test_settings_and_device_states_are_recorded_when_they_change(
    provisioned: Provisioned, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    db = tmp_path / "antre.sqlite3"
    site = provisioned.site
    # GIVEN a central's sender starting on a fresh database
    sender = start_sender(provisioned, site, db)
    try:
        wait_until(lambda: len(recorded(db)) == 1, WAIT, "the settings at the first start")
        # WHEN a device comes online, says so again, the site is "edited" with no change,
        # a manager renames a service, and the device is lost
        sender.devices_changed({"kiosk-1": "online"})
        wait_until(lambda: len(recorded(db)) == 2, WAIT, "the first device state")
        sender.devices_changed({"kiosk-1": "online"})
        sender.site_changed(site)
        sender.site_changed(renamed_first_service(site, "KTP elektronik (baru)"))
        wait_until(lambda: len(recorded(db)) == 3, WAIT, "the edited settings")
        sender.devices_changed({"kiosk-1": "lost"})
        wait_until(lambda: len(recorded(db)) == 4, WAIT, "the lost device")
    finally:
        sender.stop()
    # THEN each change is one record, and what did not change is none
    first, online, edited, lost = recorded(db)
    assert isinstance(first, SiteSettings)
    assert first.services[0].name == site.services[0].name
    assert isinstance(online, DeviceStates)
    assert online.devices == {"kiosk-1": "online"}
    assert isinstance(edited, SiteSettings)
    assert edited.services[0].name == "KTP elektronik (baru)"
    assert isinstance(lost, DeviceStates)
    assert lost.devices == {"kiosk-1": "lost"}


def test_a_restart_on_the_same_settings_records_nothing_again(
    provisioned: Provisioned, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    db = tmp_path / "antre.sqlite3"
    # GIVEN a sender that recorded the settings and a device's state, then stopped
    sender = start_sender(provisioned, provisioned.site, db)
    sender.devices_changed({"kiosk-1": "online"})
    try:
        wait_until(lambda: len(recorded(db)) == 2, WAIT, "settings and device state")
    finally:
        sender.stop()
    # WHEN it starts again on the same site and hears the same device state, then a new one
    again = start_sender(provisioned, provisioned.site, db)
    again.devices_changed({"kiosk-1": "online"})
    again.devices_changed({"kiosk-1": "online", "display-lobby": "online"})
    try:
        wait_until(lambda: len(recorded(db)) >= 3, WAIT, "the new device state")
    finally:
        again.stop()
    # THEN only the new device state was recorded
    kinds = [type(body).__name__ for body in recorded(db)]
    assert kinds == ["SiteSettings", "DeviceStates", "DeviceStates"]
