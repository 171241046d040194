"""The kiosk's and the survey unit's self-tests, run as a technician runs them (the
command, on mock pins, answered on stdin), and their result on its way to the devices
page: saved, sent in the running device's status, shown."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from flask.testing import FlaskClient

from broker.web.context import WebContext
from contract.health import DeviceState, HealthKey
from contract.messages import DeviceStatus, decode
from contract.site import Site
from tests.broker_fixtures import EXAMPLE_SITE, Mosquitto, Provisioned
from tests.central_fixtures import Device
from tests.escpos_decode import Cut, QrPrint, QrStore, texts
from tests.escpos_decode import decode as decode_escpos
from tests.test_web_admin import _row
from tests.web_fixtures import Login


def _self_test(module: str, flags: list[str], answers: list[str], state: Path) -> tuple[int, str]:
    """Runs `python -m module --self-test` with `answers` typed one per line."""
    command = [
        sys.executable, "-m", module, "--site", str(EXAMPLE_SITE), *flags,
        "--pin-factory", "mock", "--state-dir", str(state),
        "--self-test", "--self-test-timeout", "2",
    ]  # fmt: skip
    result = subprocess.run(
        command,
        input="".join(f"{answer}\n" for answer in answers),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.returncode, result.stdout


def _saved(state: Path) -> dict[str, str]:
    data = json.loads((state / "self-test.json").read_text(encoding="utf-8"))
    return {check["name"]: check["outcome"] for check in data["checks"]}


def test_the_kiosk_self_test_walks_the_printer_and_every_button(
    example_site: Site, tmp_path: Path
) -> None:
    kiosk = next(k for k in example_site.kiosks if k.id == "kiosk-1")
    services = [button.service for button in kiosk.buttons]
    # GIVEN a technician who finds the test ticket right, presses each button in turn and
    # sees each light
    answers = ["y"]
    for service in [*services, "*"]:
        answers += [service, "y"]
    printed = tmp_path / "printer.bin"
    code, out = _self_test(
        "kiosk.main",
        ["--kiosk", "kiosk-1", "--printer-file", str(printed)],
        answers,
        tmp_path,
    )
    # THEN it passes, the checklist says so line by line, and the result is saved
    assert code == 0, out
    assert "[ OK ] tombol A" in out
    assert "[ OK ] lampu prioritas" in out
    assert "Hasil / result: LULUS / passed" in out
    saved = _saved(tmp_path)
    assert {saved[f"tombol {s}"] for s in services} == {"passed"}
    assert saved["printer"] == saved["tiket uji / test ticket"] == "passed"
    assert saved["pemindai / scanner"] == "skipped"
    # AND the test ticket holds the settings, a ruler exactly one line wide, the large
    # number, a QR code with the test address, and the cut
    ops = decode_escpos(printed.read_bytes())
    lines = texts(ops)
    columns = kiosk.printer.line_columns
    ruler = "".join(str((n + 1) % 10) for n in range(columns))
    assert ruler in lines
    assert "A001" in lines
    assert any(line.startswith("Printer: file, 80 mm, 48 kolom") for line in lines)
    stores = [op for op in ops if isinstance(op, QrStore)]
    assert [store.data for store in stores] == [b"http://antre.local/t/uji-mandiri"]
    assert any(isinstance(op, QrPrint) for op in ops)
    assert isinstance(ops[-1], Cut) or any(isinstance(op, Cut) for op in ops)


def test_a_light_that_stays_dark_and_a_button_not_pressed_fail_by_name(
    tmp_path: Path,
) -> None:
    # GIVEN a technician who sees A's light stay dark, then presses nothing more
    code, out = _self_test(
        "kiosk.main",
        ["--kiosk", "kiosk-1", "--printer-file", str(tmp_path / "p.bin")],
        ["y", "A", "n"],
        tmp_path,
    )
    # THEN it fails, naming what failed, and keeps going to the end of the checklist
    assert code == 1
    saved = _saved(tmp_path)
    assert saved["tombol A"] == "passed"
    assert saved["lampu A"] == "failed"
    assert saved["tombol B"] == "failed"
    assert "tidak ditekan dalam 2 s" in out
    assert "Hasil / result: GAGAL / failed" in out


def test_the_survey_units_self_test_walks_its_four_buttons(tmp_path: Path) -> None:
    answers = ["4", "y", "3", "y", "2", "y", "1", "y"]
    code, out = _self_test("survey.main", ["--unit", "survey-1"], answers, tmp_path)
    assert code == 0, out
    saved = _saved(tmp_path)
    assert [name for name in saved if name.startswith("tombol")] == [
        "tombol 4",
        "tombol 3",
        "tombol 2",
        "tombol 1",
    ]
    assert set(saved.values()) == {"passed"}


def test_a_running_unit_sends_its_last_self_test_in_its_status(
    provisioned: Provisioned, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    # GIVEN a survey unit whose self-test passed
    answers = ["4", "y", "3", "y", "2", "y", "1", "y"]
    assert _self_test("survey.main", ["--unit", "survey-1"], answers, tmp_path)[0] == 0
    # WHEN it runs as a service again
    credentials = provisioned.directory / "credentials" / "survey-1.toml"
    command = [
        sys.executable, "-m", "survey.main", "--site", str(EXAMPLE_SITE), "--unit", "survey-1",
        "--credentials", str(credentials), "--pin-factory", "mock", "--state-dir", str(tmp_path),
    ]  # fmt: skip
    topic = provisioned.topics.status("survey-1")
    reader = Device(provisioned, "central", [topic])
    unit = subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        payload = reader.wait_for(topic, lambda p: b"self_test" in p, 30)
    finally:
        unit.terminate()
        unit.wait(10)
        reader.close()
    # THEN its status carries the result and when
    status = decode(payload, DeviceStatus)
    assert str(status.health[HealthKey.SELF_TEST]).startswith("passed ")


def test_the_devices_page_shows_each_self_test_and_a_failed_one_is_a_warning(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    web_ctx.devices["kiosk-1"] = DeviceStatus(
        device="kiosk-1",
        state=DeviceState.ONLINE,
        health={"printer": "ok", HealthKey.SELF_TEST: "passed 2026-11-30T07:05+08:00"},
    )
    web_ctx.devices["kiosk-2"] = DeviceStatus(
        device="kiosk-2",
        state=DeviceState.ONLINE,
        health={"printer": "ok", HealthKey.SELF_TEST: "failed 2026-11-30T07:10+08:00: lampu B"},
    )
    login("manajer")
    page = client.get("/admin/devices").get_data(as_text=True)
    assert "lulus, 2026-11-30 07:05" in _row(page, "device-kiosk-1")
    failed = _row(page, "device-kiosk-2")
    assert "gagal, 2026-11-30 07:10: lampu B" in failed
    assert 'class="warn"' in failed
    overview = client.get("/admin/").get_data(as_text=True)
    assert "Uji mandiri gagal, 2026-11-30 07:10: lampu B" in overview
