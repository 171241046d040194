"""systemd/install.sh against a throwaway root (ANTRE_ROOT): each role installed twice with
the same result, secrets kept, a bad config or a missing tool refused before anything
changes, and uninstall keeping the data. No package is installed and no user is made:
ANTRE_SKIP_APT, and the test's own environment instead of a new one (ANTRE_VENV)."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

from broker.bundle import DEVICE_CA, make_bundle
from broker.provision import provision
from contract.credentials import load_credentials
from contract.site_loader import load_site
from tests.broker_fixtures import EXAMPLE_SITE

REPO = Path(__file__).resolve().parent.parent
INSTALL = REPO / "systemd" / "install.sh"
HOST = "192.168.1.10"
KIOSK_3 = """
[[kiosks]]
id = "kiosk-3"
buttons = [{ service = "H", pin = 2, led_pin = 14 }]

[kiosks.printer]
type = "usb"
usb_vendor_id = 0x0416
usb_product_id = 0x5011
"""


def install(
    root: Path, *args: str | Path, path: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ANTRE_ROOT": str(root),
        "ANTRE_SKIP_APT": "1",
        "ANTRE_VENV": sys.prefix,
    }
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        ["bash", str(INSTALL), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=120,
    )


def installed(root: Path, *args: str | Path) -> str:
    result = install(root, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def device_credentials_installed(root: Path, device: str) -> None:
    """The device's own credentials, root-only, pointing at the central."""
    credentials_file = root / "etc/antre/credentials.toml"
    credentials = load_credentials(credentials_file)
    assert (credentials.username, credentials.host) == (device, HOST)
    assert stat.S_IMODE(credentials_file.stat().st_mode) == 0o600


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under the root: its mode and its bytes."""
    return {
        str(path.relative_to(root)): (stat.S_IMODE(path.stat().st_mode), path.read_bytes())
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def passwords(passwd: Path, credentials: Path) -> dict[str, str]:
    """user -> its password, after checking Mosquitto's PBKDF2-SHA512 hash ($7$) of it."""
    found = {}
    for line in passwd.read_text().splitlines():
        user, hashed = line.split(":", 1)
        _, kind, rounds, salt, digest = hashed.split("$")
        assert kind == "7"
        password = load_credentials(credentials / f"{user}.toml").password
        derived = hashlib.pbkdf2_hmac(
            "sha512", password.encode(), base64.b64decode(salt), int(rounds)
        )
        assert derived == base64.b64decode(digest), f"{user}: hash and password differ"
        found[user] = password
    return found


def site_with_kiosk_3(folder: Path) -> Path:
    site = folder / "site.toml"
    site.write_text(EXAMPLE_SITE.read_text(encoding="utf-8") + KIOSK_3, encoding="utf-8")
    return site


def bundle_for(tmp_path: Path, device: str, *, tls: bool = False) -> Path:
    """A device bundle from a central provisioned in a folder of its own."""
    central = tmp_path / "central-mqtt"
    site = site_with_kiosk_3(tmp_path)
    out = tmp_path / f"{device}.tar.gz"
    make_bundle(site, central, device, out, host=HOST, tls=tls)
    return out


def path_without(tmp_path: Path, *tools: str) -> str:
    """A PATH holding every command of this one but `tools`."""
    folder = tmp_path / "path"
    folder.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        if not Path(directory).is_dir():
            continue
        for entry in Path(directory).iterdir():
            link = folder / entry.name
            if entry.name not in tools and not link.exists() and os.access(entry, os.X_OK):
                link.symlink_to(entry)
    return str(folder)


# --- the central ------------------------------------------------------------------------------


def test_the_central_installs_twice_into_the_same_files_keeping_every_secret(
    tmp_path: Path,
) -> None:
    """GIVEN a throwaway root WHEN the central is installed twice (the second time without
    --host) THEN the same files with the same modes, the same passwords (passwd holds new
    salts, of the same passwords), the Mosquitto address kept, a web secret kept."""
    root = tmp_path / "root"
    output = installed(root, "central", EXAMPLE_SITE, "--host", HOST)
    assert "installed antre-central" in output
    mqtt = root / "var/lib/antre/mqtt"
    first = snapshot(root)
    first_passwords = passwords(mqtt / "mosquitto/passwd", mqtt / "credentials")
    secret = root / "var/lib/antre/central/web-session.secret"
    secret.parent.mkdir(parents=True)
    secret.write_text("kept\n")

    installed(root, "central", EXAMPLE_SITE)

    second = snapshot(root)
    passwd = "var/lib/antre/mqtt/mosquitto/passwd"
    assert {k: v for k, v in first.items() if k != passwd} == {
        k: v for k, v in second.items() if k not in (passwd, str(secret.relative_to(root)))
    }
    assert passwords(mqtt / "mosquitto/passwd", mqtt / "credentials") == first_passwords
    assert secret.read_text() == "kept\n"
    central = load_credentials(mqtt / "credentials/central.toml")
    assert (central.host, central.port, central.tls_ca) == (HOST, 1883, None)


def test_the_central_install_lays_out_units_configuration_and_credentials(
    tmp_path: Path,
) -> None:
    root = tmp_path / "root"
    installed(root, "central", EXAMPLE_SITE, "--host", HOST, "--web-port", "8081")
    units = REPO / "systemd"
    assert (root / "etc/systemd/system/antre-central.service").read_bytes() == (
        units / "antre-central.service"
    ).read_bytes()
    assert (root / "etc/systemd/system/mosquitto.service.d/antre.conf").read_bytes() == (
        units / "mosquitto-antre.conf"
    ).read_bytes()
    assert (root / "etc/antre/site.toml").read_bytes() == EXAMPLE_SITE.read_bytes()
    env = (root / "etc/antre/antre.env").read_text()
    for line in ("ANTRE_ROLE=central", "ANTRE_DEVICE=central", "ANTRE_WEB_PORT=8081"):
        assert f"\n{line}\n" in env
    credentials = root / "var/lib/antre/mqtt/credentials"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o700
    assert stat.S_IMODE((credentials / "central.toml").stat().st_mode) == 0o600
    # The unit's LoadCredential= names the file provisioning wrote.
    assert (
        "LoadCredential=mqtt.toml:/var/lib/antre/mqtt/credentials/central.toml"
        in (units / "antre-central.service").read_text()
    )


def test_the_central_install_adds_the_backup_timer_and_its_folder(tmp_path: Path) -> None:
    """GIVEN a central installed twice THEN the backup service and timer as in the
    repository, a backup folder for the antre user alone, the backup settings, and the
    tls/ folder the service loads (empty without TLS); the second run changes no file but
    passwd (new salts, the same passwords: see the first test)."""
    root = tmp_path / "root"
    output = installed(root, "central", EXAMPLE_SITE, "--host", HOST)
    first = snapshot(root)
    installed(root, "central", EXAMPLE_SITE)
    second = snapshot(root)
    passwd = "var/lib/antre/mqtt/mosquitto/passwd"
    assert {k: v for k, v in first.items() if k != passwd} == {
        k: v for k, v in second.items() if k != passwd
    }

    for name in ("antre-backup.service", "antre-backup.timer"):
        assert (root / "etc/systemd/system" / name).read_bytes() == (
            REPO / "systemd" / name
        ).read_bytes()
    assert "skipped: systemctl enable antre-backup.timer" in output
    backups = root / "var/backups/antre"
    assert stat.S_IMODE(backups.stat().st_mode) == 0o700
    assert "skipped: chown antre:antre /var/backups/antre" in output
    env = (root / "etc/antre/antre.env").read_text()
    assert "\nANTRE_BACKUP_DIR=/var/backups/antre\n" in env
    assert "\nANTRE_BACKUP_KEEP=14\n" in env
    # The site's CA, made even without MQTT over TLS: it signs the web console's certificate
    tls = root / "var/lib/antre/mqtt/tls"
    assert sorted(p.name for p in tls.iterdir()) == ["ca.crt", "ca.key"]
    web = root / "var/lib/antre/mqtt/web"
    assert stat.S_IMODE((web / "server.key").stat().st_mode) == 0o600
    assert (web / "server.crt").exists()
    assert "\nANTRE_PUBLIC_ARGS=--public-port 8081\n" in env


def test_an_upgrade_adds_the_backup_settings_and_keeps_an_edited_one(tmp_path: Path) -> None:
    """GIVEN an env file of an older release (no backup keys) but for the folder, set by
    hand WHEN the central is installed again THEN the missing key is added, the edit kept."""
    root = tmp_path / "root"
    installed(root, "central", EXAMPLE_SITE, "--host", HOST)
    env = root / "etc/antre/antre.env"
    older = [line for line in env.read_text().splitlines() if "ANTRE_BACKUP" not in line]
    env.write_text("\n".join([*older, "ANTRE_BACKUP_DIR=/media/stick"]) + "\n")
    installed(root, "central", EXAMPLE_SITE)
    lines = env.read_text().splitlines()
    assert [line for line in lines if line.startswith("ANTRE_BACKUP")] == [
        "ANTRE_BACKUP_DIR=/media/stick",
        "ANTRE_BACKUP_KEEP=14",
    ]


def test_the_central_with_tls_keeps_its_ca_across_installs(tmp_path: Path) -> None:
    root = tmp_path / "root"
    installed(root, "central", EXAMPLE_SITE, "--host", HOST, "--tls")
    ca = root / "var/lib/antre/mqtt/tls/ca.crt"
    before = ca.read_bytes()
    installed(root, "central", EXAMPLE_SITE)
    assert ca.read_bytes() == before
    central = load_credentials(root / "var/lib/antre/mqtt/credentials/central.toml")
    assert (central.port, central.tls_ca) == (8883, str(ca))


# --- kiosks, survey units and displays ------------------------------------------------------


def test_a_kiosk_installs_from_its_bundle_twice_into_the_same_files(tmp_path: Path) -> None:
    """GIVEN kiosk-3's bundle (a USB printer) WHEN installed twice THEN identical files: its
    credentials root-only, the site file, the env naming it, a udev rule for its printer."""
    bundle = bundle_for(tmp_path, "kiosk-3")
    root = tmp_path / "root"
    installed(root, "kiosk", bundle)
    first = snapshot(root)
    installed(root, "kiosk", bundle)
    assert snapshot(root) == first

    etc = root / "etc/antre"
    device_credentials_installed(root, "kiosk-3")
    assert not (etc / "ca.crt").exists()
    assert "\nANTRE_DEVICE=kiosk-3\n" in (etc / "antre.env").read_text()
    rule = (root / "etc/udev/rules.d/60-antre-printer.rules").read_text()
    assert 'ATTR{idVendor}=="0416", ATTR{idProduct}=="5011", MODE="0660", GROUP="lp"' in rule
    assert (root / "etc/systemd/system/antre-kiosk.service").exists()


def test_a_tls_bundle_installs_the_ca_where_the_credentials_say(tmp_path: Path) -> None:
    bundle = bundle_for(tmp_path, "kiosk-1", tls=True)
    root = tmp_path / "root"
    installed(root, "kiosk", bundle)
    credentials = load_credentials(root / "etc/antre/credentials.toml")
    assert credentials.tls_ca == DEVICE_CA
    installed_ca = root / DEVICE_CA.lstrip("/")
    assert installed_ca.read_bytes() == (tmp_path / "central-mqtt/tls/ca.crt").read_bytes()


def test_an_edited_setting_survives_an_upgrade(tmp_path: Path) -> None:
    """GIVEN a technician's change to antre.env WHEN installed again THEN it is kept."""
    bundle = bundle_for(tmp_path, "kiosk-1")
    root = tmp_path / "root"
    installed(root, "kiosk", bundle)
    env = root / "etc/antre/antre.env"
    env.write_text(env.read_text().replace("ANTRE_LOG_LEVEL=INFO", "ANTRE_LOG_LEVEL=DEBUG"))
    installed(root, "kiosk", bundle)
    assert "\nANTRE_LOG_LEVEL=DEBUG\n" in env.read_text()


def test_a_survey_unit_installs_from_its_bundle_twice_into_the_same_files(tmp_path: Path) -> None:
    """GIVEN survey-1's bundle WHEN installed twice THEN identical files: its credentials
    root-only, the env naming the survey role and unit, antre-survey.service as in the
    repository; no printer rule and no other role's unit."""
    bundle = bundle_for(tmp_path, "survey-1")
    root = tmp_path / "root"
    output = installed(root, "survey", bundle)
    assert "installed antre-survey (survey-1, site samarinda)" in output
    first = snapshot(root)
    installed(root, "survey", bundle)
    assert snapshot(root) == first

    etc = root / "etc/antre"
    device_credentials_installed(root, "survey-1")
    env = (etc / "antre.env").read_text()
    assert "\nANTRE_ROLE=survey\n" in env
    assert "\nANTRE_DEVICE=survey-1\n" in env
    units = root / "etc/systemd/system"
    assert sorted(p.name for p in units.iterdir()) == ["antre-survey.service"]
    assert (units / "antre-survey.service").read_bytes() == (
        REPO / "systemd/antre-survey.service"
    ).read_bytes()
    assert not (root / "etc/udev").exists()


def test_uninstalling_a_survey_unit_keeps_only_its_credentials(tmp_path: Path) -> None:
    root = tmp_path / "root"
    installed(root, "survey", bundle_for(tmp_path, "survey-1"))
    installed(root, "uninstall")
    left = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    assert left == {"etc/antre/credentials.toml"}


def test_every_role_the_script_installs_has_its_python_extra() -> None:
    """install.sh installs `antre[ROLE]` (never run here: ANTRE_VENV): each role it takes
    is an extra of pyproject.toml."""
    accepted = re.search(r"^ +(central\|[\w|]+)\) ;;$", INSTALL.read_text(), re.MULTILINE)
    assert accepted, "install.sh's list of roles"
    roles = set(accepted[1].split("|")) - {"uninstall"}
    assert roles == {"central", "kiosk", "survey", "display", "hub"}
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert roles <= set(pyproject["project"]["optional-dependencies"])


def test_a_display_gets_its_voice_pack_once_and_keeps_a_recorded_one(tmp_path: Path) -> None:
    """GIVEN the lobby display's bundle (english = true) WHEN installed THEN the default
    voice pack is made with the English clips; WHEN a clip is replaced and it is installed
    again THEN the replaced clip is kept."""
    assert shutil.which("espeak-ng"), "espeak-ng is not installed (make installs it)"
    bundle = bundle_for(tmp_path, "display-lobby")
    root = tmp_path / "root"
    installed(root, "display", bundle)
    voice = root / "var/lib/antre/voice"
    assert (voice / "en").is_dir()
    clip = next(voice.glob("*.wav"))
    clip.write_bytes(b"a human recording")
    installed(root, "display", bundle)
    assert clip.read_bytes() == b"a human recording"
    assert "\nANTRE_DEVICE=display-lobby\n" in (root / "etc/antre/antre.env").read_text()


# --- refusals, before anything changes ---------------------------------------------------------


def assert_refused(result: subprocess.CompletedProcess[str], root: Path, words: str) -> None:
    assert result.returncode != 0, result.stdout
    assert words in result.stderr, result.stderr
    assert not root.exists() or not any(root.iterdir()), "something was written"


def test_a_site_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text("[site\nid = 'x'\n")
    root = tmp_path / "root"
    assert_refused(install(root, "central", site, "--host", HOST), root, "not valid TOML")


def test_a_site_file_with_an_unknown_key_is_refused(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text(EXAMPLE_SITE.read_text().replace("\n[priority]\n", "\n[priority]\nfoo = 1\n"))
    root = tmp_path / "root"
    assert_refused(install(root, "central", site, "--host", HOST), root, "priority.foo")


def test_a_bundle_for_another_role_is_refused(tmp_path: Path) -> None:
    bundle = bundle_for(tmp_path, "kiosk-1")
    root = tmp_path / "root"
    assert_refused(install(root, "display", bundle), root, "not a display")


def test_a_survey_units_bundle_given_to_the_kiosk_role_is_refused(tmp_path: Path) -> None:
    """GIVEN survey-1's bundle WHEN installed as a kiosk THEN refused, naming the right
    command, before anything is written."""
    bundle = bundle_for(tmp_path, "survey-1")
    root = tmp_path / "root"
    result = install(root, "kiosk", bundle)
    assert_refused(result, root, "is a bundle for a 'survey', not a kiosk")
    assert f"run install.sh survey {bundle}" in result.stderr


def test_a_bundle_with_a_foreign_file_is_refused(tmp_path: Path) -> None:
    bundle = tmp_path / "evil.tar.gz"
    (tmp_path / "x").write_text("x")
    subprocess.run(["tar", "-czf", bundle, "-C", tmp_path, "x"], check=True)
    root = tmp_path / "root"
    assert_refused(install(root, "kiosk", bundle), root, "unexpected 'x'")


def test_a_missing_tool_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    path = path_without(tmp_path, "mosquitto_passwd")
    result = install(root, "central", EXAMPLE_SITE, "--host", HOST, path=path)
    assert_refused(result, root, "missing: mosquitto_passwd")


def test_check_mode_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "root"
    result = install(root, "--check", "central", EXAMPLE_SITE, "--host", HOST)
    assert result.returncode == 0, result.stderr
    assert "ok: central" in result.stdout
    assert not root.exists() or not any(root.iterdir())


# --- uninstall ----------------------------------------------------------------------------------


def test_uninstall_removes_everything_but_the_data_and_the_secrets(tmp_path: Path) -> None:
    """GIVEN an installed central with a backup, and a kiosk WHEN uninstalled THEN units
    (the backup's too), drop-in, rule, program and configuration are gone; the data
    (/var/lib/antre, the provisioned passwords included), the backups and a device's
    credentials stay; installing again gives the same passwords."""
    central = tmp_path / "central"
    installed(central, "central", EXAMPLE_SITE, "--host", HOST)
    mqtt = central / "var/lib/antre/mqtt"
    before = passwords(mqtt / "mosquitto/passwd", mqtt / "credentials")
    archive = central / "var/backups/antre/antre-central-samarinda-20261130-213000.tar.gz"
    archive.write_bytes(b"a backup")
    installed(central, "uninstall")
    left = {str(p.relative_to(central)) for p in central.rglob("*") if p.is_file()}
    kept = str(archive.relative_to(central))
    assert kept in left
    assert all(name.startswith("var/lib/antre/") for name in left - {kept}), left
    installed(central, "central", EXAMPLE_SITE)
    assert passwords(mqtt / "mosquitto/passwd", mqtt / "credentials") == before

    kiosk = tmp_path / "kiosk"
    installed(kiosk, "kiosk", bundle_for(tmp_path, "kiosk-3"))
    installed(kiosk, "uninstall")
    left = {str(p.relative_to(kiosk)) for p in kiosk.rglob("*") if p.is_file()}
    assert left == {"etc/antre/credentials.toml"}


def test_provisioning_of_the_installed_central_is_what_antre_provision_writes(
    tmp_path: Path,
) -> None:
    """The central's install provisions like antre-provision would: the same users."""
    root = tmp_path / "root"
    installed(root, "central", EXAMPLE_SITE, "--host", HOST)
    report = provision(load_site(EXAMPLE_SITE), tmp_path / "reference", host=HOST)
    names = sorted(p.name for p in (root / "var/lib/antre/mqtt/credentials").iterdir())
    assert names == sorted(f"{user}.toml" for user in report.credentials)
