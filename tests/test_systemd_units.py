"""The systemd units: `systemd-analyze verify` without a single warning, the exposure score
of `systemd-analyze security`, and the settings the deployment relies on."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from broker.backup import _parser as _backup_parser
from broker.backup_files import MQTT_FOLDERS
from broker.web.open_files import OTHER_FILES
from broker.web.serve import MAX_CONNECTIONS
from survey.main import _parser as _survey_parser

REPO = Path(__file__).resolve().parent.parent
UNITS = REPO / "systemd"
SERVICES = [
    "antre-central.service",
    "antre-kiosk.service",
    "antre-survey.service",
    "antre-display.service",
]
# The central's backup: a oneshot service and the timer that starts it.
BACKUP = "antre-backup.service"
TIMER = "antre-backup.timer"
MOSQUITTO_DROPIN = UNITS / "mosquitto-antre.conf"
# The most `systemd-analyze security` may score (0 is locked down, 10 wide open).
MAX_EXPOSURE = {
    "antre-central.service": 5.0,
    "antre-kiosk.service": 5.0,
    "antre-survey.service": 5.0,
    "antre-backup.service": 5.0,
    "mosquitto.service": 5.0,
}
# verify prints these for a bad value, an unknown key or a missing file, and exits 0.
WARNING = re.compile(
    r"ignoring|unknown|invalid|failed|not found|missing|no such|deprecated|warning|error",
    re.IGNORECASE,
)
# Debian's mosquitto.service (bookworm), for machines without the mosquitto package.
DEBIAN_MOSQUITTO = """\
[Unit]
Description=Mosquitto MQTT Broker
After=network.target
Wants=network.target

[Service]
Type=notify
NotifyAccess=main
ExecStart=/usr/sbin/mosquitto -c /etc/mosquitto/mosquitto.conf
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
ExecStartPre=/bin/mkdir -m 740 -p /var/log/mosquitto
ExecStartPre=/bin/chown mosquitto /var/log/mosquitto
ExecStartPre=/bin/mkdir -m 740 -p /run/mosquitto
ExecStartPre=/bin/chown mosquitto /run/mosquitto

[Install]
WantedBy=multi-user.target
"""


def settings(path: Path) -> dict[str, list[str]]:
    """`Section.Key` -> its values, in order, continuation lines joined."""
    found: dict[str, list[str]] = {}
    section = ""
    text = re.sub(r"\\\n\s*", " ", path.read_text(encoding="utf-8"))
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        found.setdefault(f"{section}.{key}", []).append(value)
    return found


def words(unit: dict[str, list[str]], key: str) -> list[str]:
    return [word for value in unit.get(key, []) for word in value.split()]


def stand_in(tmp_path: Path, name: str) -> Path:
    """A copy of the unit whose ExecStart runs a stub: verify wants an executable there."""
    stub = tmp_path / "bin" / "stub"
    stub.parent.mkdir(exist_ok=True)
    stub.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    stub.chmod(0o755)
    text = (UNITS / name).read_text(encoding="utf-8")
    copy = tmp_path / name
    copy.write_text(re.sub(r"/opt/antre/venv/bin/antre-[\w-]+", str(stub), text), encoding="utf-8")
    return copy


def verify(unit: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Everything `systemd-analyze verify` says (it exits 0 on most problems)."""
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", unit],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    return f"exit {result.returncode}\n{result.stdout}{result.stderr}".strip()


def assert_clean(output: str) -> None:
    assert output == "exit 0", output
    assert not WARNING.search(output), output


def exposure(unit: str, cwd: Path, env: dict[str, str] | None = None) -> float:
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", "--no-pager", unit],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert match, result.stdout + result.stderr
    return float(match[1])


def mosquitto_units(tmp_path: Path) -> Path:
    """A unit folder with Debian's mosquitto.service and the Antre drop-in for it."""
    folder = tmp_path / "units"
    (folder / "mosquitto.service.d").mkdir(parents=True)
    debian = Path("/lib/systemd/system/mosquitto.service")
    text = debian.read_text(encoding="utf-8") if debian.exists() else DEBIAN_MOSQUITTO
    (folder / "mosquitto.service").write_text(text, encoding="utf-8")
    shutil.copy(MOSQUITTO_DROPIN, folder / "mosquitto.service.d" / "antre.conf")
    return folder


# --- verify, failing on any warning ------------------------------------------------------------


@pytest.mark.parametrize("name", [*SERVICES, BACKUP])
def test_every_unit_verifies_without_a_warning(name: str, tmp_path: Path) -> None:
    """GIVEN the unit (its ExecStart on a stub) WHEN verified THEN not one line is printed."""
    stand_in(tmp_path, name)
    assert_clean(verify(f"./{name}", tmp_path))


def test_the_backup_timer_verifies_beside_its_service(tmp_path: Path) -> None:
    """GIVEN the timer and its service (on a stub) side by side WHEN the timer is verified
    THEN not one line is printed."""
    stand_in(tmp_path, BACKUP)
    shutil.copy(UNITS / TIMER, tmp_path / TIMER)
    assert_clean(verify(f"./{TIMER}", tmp_path))


def test_the_mosquitto_drop_in_verifies_on_debians_unit(tmp_path: Path) -> None:
    """GIVEN Debian's mosquitto.service and the drop-in WHEN verified THEN no warning."""
    folder = mosquitto_units(tmp_path)
    assert_clean(verify("mosquitto.service", folder, {"SYSTEMD_UNIT_PATH": f"{folder}:"}))


def test_the_check_catches_what_verify_only_warns_about(tmp_path: Path) -> None:
    """GIVEN a bad value and an unknown key WHEN verified THEN the check fails, although
    systemd-analyze itself exits 0."""
    unit = stand_in(tmp_path, "antre-kiosk.service")
    unit.write_text(
        unit.read_text().replace("Restart=on-failure", "Restart=sometimes\nWatchdogSecs=30"),
        encoding="utf-8",
    )
    output = verify(f"./{unit.name}", tmp_path)
    assert output.startswith("exit 0")
    with pytest.raises(AssertionError):
        assert_clean(output)


# --- the exposure score ------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*SERVICES, BACKUP])
def test_the_exposure_score_of_each_unit(name: str, tmp_path: Path) -> None:
    """GIVEN each unit WHEN scored offline THEN its score is printed, and the central's, the
    kiosk's, the survey unit's and the backup's stay at or below 5.0 (the display needs the
    screen, input and sound)."""
    stand_in(tmp_path, name)
    score = exposure(f"./{name}", tmp_path)
    print(f"{name}: exposure {score}")
    assert score <= MAX_EXPOSURE.get(name, 10.0)


def test_the_exposure_score_of_mosquitto_with_the_drop_in(tmp_path: Path) -> None:
    folder = mosquitto_units(tmp_path)
    score = exposure("mosquitto.service", folder, {"SYSTEMD_UNIT_PATH": f"{folder}:"})
    print(f"mosquitto.service with the drop-in: exposure {score}")
    assert score <= MAX_EXPOSURE["mosquitto.service"]


# --- what the deployment relies on --------------------------------------------------------------


@pytest.mark.parametrize("name", SERVICES)
def test_every_unit_is_notify_with_a_watchdog_restarts_and_is_hardened(name: str) -> None:
    unit = settings(UNITS / name)
    expected = {
        "Service.Type": ["notify"],
        "Service.NotifyAccess": ["main"],
        "Service.Restart": ["on-failure"],
        "Service.User": ["antre"],
        "Service.EnvironmentFile": ["/etc/antre/antre.env"],
        "Service.NoNewPrivileges": ["yes"],
        "Service.PrivateTmp": ["yes"],
        "Service.ProtectSystem": ["strict"],
        "Service.DevicePolicy": ["closed"],
        "Service.CapabilityBoundingSet": [""],
    }
    for key, value in expected.items():
        assert unit.get(key) == value, key
    assert int(unit["Service.WatchdogSec"][0]) >= 10
    assert int(unit["Unit.StartLimitBurst"][0]) > 1
    assert int(unit["Unit.StartLimitIntervalSec"][0]) > 0
    role = name.removeprefix("antre-").removesuffix(".service")
    assert unit["Service.StateDirectory"] == [f"antre/{role}"]
    assert unit["Service.LoadCredential"][0].startswith("mqtt.toml:/")
    assert "--credentials %d/mqtt.toml" in unit["Service.ExecStart"][0]
    assert "PrivateDevices" not in unit or unit["Service.PrivateDevices"] == ["yes"]


@pytest.mark.parametrize(
    ("name", "groups"),
    [
        ("antre-central.service", set()),
        ("antre-kiosk.service", {"gpio", "lp", "dialout", "input"}),
        ("antre-survey.service", {"gpio"}),
        ("antre-display.service", {"video", "render", "input", "audio"}),
    ],
)
def test_each_unit_has_only_the_device_groups_it_needs(name: str, groups: set[str]) -> None:
    assert set(words(settings(UNITS / name), "Service.SupplementaryGroups")) == groups


def test_the_central_starts_after_the_network_and_mosquitto() -> None:
    unit = settings(UNITS / "antre-central.service")
    for key in ("Unit.After", "Unit.Wants"):
        assert {"network-online.target", "mosquitto.service"} <= set(words(unit, key))


def test_the_central_may_open_a_file_for_every_connection_its_listeners_hold() -> None:
    unit = settings(UNITS / "antre-central.service")
    assert int(unit["Service.LimitNOFILE"][-1]) >= MAX_CONNECTIONS + OTHER_FILES


def test_the_display_takes_tty1_and_draws_through_kmsdrm() -> None:
    unit = settings(UNITS / "antre-display.service")
    assert unit["Unit.Conflicts"] == ["getty@tty1.service"]
    assert "getty@tty1.service" in words(unit, "Unit.After")
    assert unit["Service.TTYPath"] == ["/dev/tty1"]
    assert unit["Service.StandardInput"] == ["tty"]
    assert unit["Service.StandardOutput"] == ["journal"]
    environment = words(unit, "Service.Environment")
    assert "SDL_VIDEODRIVER=kmsdrm" in environment
    assert "DISPLAY" not in " ".join(environment)
    assert "/dev/tty1" in words(unit, "Service.DeviceAllow")


def test_the_survey_unit_reaches_the_gpio_chips_alone_and_takes_its_flags() -> None:
    """GIVEN antre-survey.service THEN of /dev only the GPIO chips (no printer, no serial
    port), no netlink (no libusb), and antre-survey's own parser accepts its ExecStart."""
    unit = settings(UNITS / "antre-survey.service")
    assert unit["Service.DeviceAllow"] == ["char-gpiochip rw"]
    assert "AF_NETLINK" not in words(unit, "Service.RestrictAddressFamilies")
    args = _survey_parser().parse_args(unit["Service.ExecStart"][0].split()[1:])
    assert (args.site, args.unit, args.credentials, args.log_level) == (
        "${ANTRE_SITE}",
        "${ANTRE_DEVICE}",
        "%d/mqtt.toml",
        "${ANTRE_LOG_LEVEL}",
    )


def test_exec_start_runs_the_projects_console_scripts() -> None:
    """Each ExecStart names an entry point of pyproject.toml, in the install's environment."""
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    for name in [*SERVICES, BACKUP]:
        command = settings(UNITS / name)["Service.ExecStart"][0].split()[0]
        assert command.startswith("/opt/antre/venv/bin/")
        assert Path(command).name in scripts


def test_every_variable_a_unit_uses_is_in_the_environment_template() -> None:
    template = (UNITS / "antre.env").read_text(encoding="utf-8")
    defined = set(re.findall(r"^([A-Z_]+)=", template, re.MULTILINE))
    for name in [*SERVICES, BACKUP]:
        used = set(re.findall(r"\$\{(\w+)\}", (UNITS / name).read_text(encoding="utf-8")))
        assert used <= defined, f"{name}: {used - defined} not in antre.env"


def test_the_backup_is_a_oneshot_as_antre_writing_only_its_folder() -> None:
    """GIVEN antre-backup.service THEN a oneshot as antre, hardened like the central, with
    no network; writable: the backup folder, and the central's folder for SQLite's read
    locks; after the backup folder's mount; antre-backup's own parser takes its
    ExecStart, pointed at the files of the central's unit; and the central cannot see
    the backups."""
    unit = settings(UNITS / BACKUP)
    expected = {
        "Service.Type": ["oneshot"],
        "Service.User": ["antre"],
        "Service.EnvironmentFile": ["/etc/antre/antre.env"],
        "Service.NoNewPrivileges": ["yes"],
        "Service.ProtectSystem": ["strict"],
        "Service.PrivateNetwork": ["yes"],
        "Service.CapabilityBoundingSet": [""],
        "Service.UMask": ["0077"],
        "Service.ReadWritePaths": ["-/var/backups/antre", "-/var/lib/antre/central"],
        "Unit.RequiresMountsFor": ["/var/backups/antre"],
    }
    for key, value in expected.items():
        assert unit.get(key) == value, key
    command = unit["Service.ExecStart"][0]
    assert "--keep ${ANTRE_BACKUP_KEEP}" in command
    args = _backup_parser().parse_args(command.replace("${ANTRE_BACKUP_KEEP}", "14").split()[1:])
    central = settings(UNITS / "antre-central.service")
    assert f"--db %S/antre/central/{args.db.name}" in central["Service.ExecStart"][0]
    assert str(args.db.parent) == "/var/lib/" + central["Service.StateDirectory"][0]
    assert (str(args.out), args.credentials, args.log_level) == (
        "${ANTRE_BACKUP_DIR}",
        Path("%d"),
        "${ANTRE_LOG_LEVEL}",
    )
    # The archives hold every password: the central, also antre, cannot see them.
    assert central["Service.InaccessiblePaths"] == ["-/var/backups/antre"]


def test_the_backup_loads_each_root_only_part_of_the_mqtt_folder_by_its_name() -> None:
    """Each LoadCredential= names a folder or file of the MQTT folder by its path, with _
    for /, as antre-backup reads the credentials back: credentials/, tls/ and passwd."""
    loaded = {}
    for value in settings(UNITS / BACKUP)["Service.LoadCredential"]:
        name, _, path = value.partition(":")
        loaded[name] = Path(path).relative_to("/var/lib/antre/mqtt").as_posix()
    assert loaded == {
        "credentials": "credentials",
        "tls": "tls",
        "mosquitto_passwd": "mosquitto/passwd",
    }
    assert {name.split("_")[0] for name in loaded} <= set(MQTT_FOLDERS)


def test_the_backup_timer_runs_after_closing_and_at_midday_and_catches_up() -> None:
    """GIVEN antre-backup.timer THEN at 12:30 and 21:30 local time (as systemd reads them),
    Persistent (a central off at that hour backs up at boot), a small random delay, and
    enabled by timers.target."""
    timer = settings(UNITS / TIMER)
    normalized = subprocess.run(
        ["systemd-analyze", "calendar", *timer["Timer.OnCalendar"]],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert re.findall(r"Normalized form: (.+)", normalized) == [
        "*-*-* 12:30:00",
        "*-*-* 21:30:00",
    ]
    assert timer["Timer.Persistent"] == ["true"]
    delay = timer["Timer.RandomizedDelaySec"][0]
    assert re.fullmatch(r"\d+min", delay)
    assert 0 < int(delay.removesuffix("min")) <= 15
    assert timer["Install.WantedBy"] == ["timers.target"]
    assert "Timer.Unit" not in timer  # it starts antre-backup.service, its namesake


def test_the_mosquitto_drop_in_runs_the_provisioned_configuration() -> None:
    drop_in = settings(MOSQUITTO_DROPIN)
    assert drop_in["Service.ExecStart"] == [
        "",
        "/usr/sbin/mosquitto -c /var/lib/antre/mqtt/mosquitto/antre.conf",
    ]
    assert drop_in["Service.ExecReload"][-1] == "/bin/kill -HUP $MAINPID"


def test_the_sysusers_file_makes_the_antre_user(tmp_path: Path) -> None:
    """GIVEN the sysusers file WHEN applied to a throwaway root (never this machine) THEN
    it makes a system user `antre` at home in /var/lib/antre, with no login shell."""
    assert shutil.which("systemd-sysusers"), "systemd is not installed (make installs it)"
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    result = subprocess.run(
        ["systemd-sysusers", f"--root={root}", str(UNITS / "antre-sysusers.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    users = {
        line.split(":")[0]: line.split(":")
        for line in (root / "etc/passwd").read_text().splitlines()
    }
    assert users["antre"][5:] == ["/var/lib/antre", "/usr/sbin/nologin"]
    assert int(users["antre"][2]) < 1000
    assert "gpio" in (root / "etc/group").read_text()


def test_the_printer_rule_gives_usb_printers_to_the_lp_group() -> None:
    rules = [
        line
        for line in (UNITS / "60-antre-printer.rules").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert rules
    for rule in rules:
        assert 'GROUP="lp"' in rule
        assert 'MODE="0660"' in rule
        for clause in rule.split(", "):
            assert re.fullmatch(r'[A-Z_]+(\{[\w]+\})?(==|=|\+=)"[^"]*"', clause), clause


def test_the_install_script_passes_shellcheck() -> None:
    assert shutil.which("shellcheck"), "shellcheck is not installed (make installs it)"
    result = subprocess.run(
        ["shellcheck", str(UNITS / "install.sh")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout
