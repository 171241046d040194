#!/usr/bin/env bash
# Installs, upgrades or removes one Antre role on Raspberry Pi OS (Bookworm, Trixie) or
# Debian. See docs/technician.md.
#
#   sudo systemd/install.sh central SITE.toml [--host ADDRESS] [--tls|--no-tls] [--web-port N]
#   sudo systemd/install.sh kiosk BUNDLE.tar.gz        (a bundle from antre-bundle)
#   sudo systemd/install.sh survey BUNDLE.tar.gz       (a survey unit's bundle)
#   sudo systemd/install.sh display BUNDLE.tar.gz
#   sudo systemd/install.sh hub HUB-CREDENTIALS.toml  (antre-hub-provision's antre-hub.toml)
#   sudo systemd/install.sh uninstall                  (keeps the data: /var/lib/antre)
#   systemd/install.sh --check ROLE CONFIG [...]       (checks only, changes nothing)
#
# It installs the system packages, a virtual environment in /opt/antre, the unit, the
# configuration in /etc/antre and the device's credentials (on the central: provisions
# them, keeping every password, and adds the backup timer). Run again to upgrade: data,
# secrets and backups are kept. A missing dependency or a bad site file or bundle is
# refused before anything changes.
#
# For tests and packagers:
#   ANTRE_ROOT=DIR    write every file under DIR instead of /; nothing outside DIR changes
#                     (no apt-get, systemctl, systemd-sysusers or udevadm is run)
#   ANTRE_SKIP_APT=1  install no system packages; refuse if a needed command is missing
#   ANTRE_VENV=DIR    use this Python environment (antre installed in it) instead of
#                     building /opt/antre/venv
set -euo pipefail
umask 022

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_dir=$(dirname "$here")
root=${ANTRE_ROOT:-/}
root=${root%/}
skip_apt=${ANTRE_SKIP_APT:-0}

PREFIX=/opt/antre
VENV=$PREFIX/venv
ETC=/etc/antre
DATA=/var/lib/antre
MQTT_DIR=$DATA/mqtt
BACKUP_DIR=/var/backups/antre
UNIT_DIR=/etc/systemd/system
MOSQUITTO_DROPIN=$UNIT_DIR/mosquitto.service.d/antre.conf
UDEV_RULE=/etc/udev/rules.d/60-antre-printer.rules
HUB_CREDENTIALS=$ETC/hub-broker/credentials/antre-hub.toml
SYSUSERS=/etc/sysusers.d/antre.conf

say() { printf 'antre: %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '5,11s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2; }
offline() { [ -n "$root" ]; }
# Runs a command that changes the live system, or says it would (ANTRE_ROOT set).
live() {
    if offline; then say "(ANTRE_ROOT set) skipped: $*"; else "$@"; fi
}

# --- arguments -------------------------------------------------------------------------

check_only=0
if [ "${1:-}" = "--check" ]; then check_only=1; shift; fi
role=${1:-}
[ -n "$role" ] || usage
shift
config="" host="" web_port="" tls="" port=""
if [ "$role" != uninstall ]; then
    [ $# -ge 1 ] || usage
    config=$1
    shift
fi
while [ $# -gt 0 ]; do
    case "$role:$1" in
        central:--host) [ $# -ge 2 ] || usage; host=$2; shift 2 ;;
        central:--web-port) [ $# -ge 2 ] || usage; web_port=$2; shift 2 ;;
        central:--tls) tls=1; shift ;;
        central:--no-tls) tls=0; shift ;;
        *) die "unknown option for $role: $1" ;;
    esac
done
case "$role" in
    central|kiosk|survey|display|hub|uninstall) ;;
    *) usage ;;
esac
if [ -n "$web_port" ]; then
    if ! [[ "$web_port" =~ ^[0-9]{1,5}$ ]] || [ "$web_port" -lt 1 ] || [ "$web_port" -gt 65535 ]; then
        die "--web-port $web_port is not a TCP port"
    fi
fi
if [ -n "$host" ]; then
    [[ "$host" =~ ^[A-Za-z0-9.:_-]+$ ]] || die "--host $host is not an address"
fi

# --- the region's hub: its own short path (no site file, no bundle) ------------------------

if [ "$role" = hub ]; then
    if ! offline && [ "$check_only" = 0 ] && [ "$(id -u)" -ne 0 ]; then
        die "run as root: sudo $0 hub $config"
    fi
    [ -f "$config" ] || die "no such file: $config"
    python3 - "$config" <<'PY' || die "$config is not the hub's credentials file (antre-hub-provision)"
import sys, tomllib
data = tomllib.load(open(sys.argv[1], "rb"))
assert data.get("username") == "antre-hub" and data.get("password") and data.get("port")
PY
    if [ -z "${ANTRE_VENV:-}" ]; then
        python3 -c 'import ensurepip, venv' 2>/dev/null || die "missing: python3-venv (apt-get install python3-venv)"
    fi
    if [ "$check_only" = 1 ]; then
        say "ok: the hub can be installed with $config"
        exit 0
    fi
    if [ "$skip_apt" != 1 ] && ! offline; then
        "$source_dir/scripts/ensure-system-packages.sh" python3 python3-venv ca-certificates
    fi
    venv=${ANTRE_VENV:-$root$VENV}
    if [ -z "${ANTRE_VENV:-}" ]; then
        [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --upgrade pip
        "$venv/bin/pip" install --quiet "${source_dir}[hub]"
        "$venv/bin/pip" install --quiet --no-deps --force-reinstall "$source_dir"
    fi
    install -D -m 0644 "$here/antre-sysusers.conf" "$root$SYSUSERS"
    live systemd-sysusers "$SYSUSERS"
    install -d -m 0755 "$root$ETC" "$root$PREFIX/docs"
    install -m 0644 "$source_dir/docs/hub.md" "$root$PREFIX/docs/hub.md"
    # Made from the template once: the database URL the team set is kept on an upgrade.
    [ -e "$root$ETC/hub.env" ] || install -m 0644 "$here/hub.env" "$root$ETC/hub.env"
    [ "$config" -ef "$root$HUB_CREDENTIALS" ] \
        || install -D -m 0600 "$config" "$root$HUB_CREDENTIALS"
    if [ ! -e "$root$ETC/hub-web.secret" ]; then
        # The pages' session key: made once, kept on upgrades (copy it to every web machine).
        (umask 077; python3 -c 'import secrets; print(secrets.token_urlsafe(32))' \
            >"$root$ETC/hub-web.secret")
    fi
    for unit in antre-hub.service antre-hub-web.service; do
        install -D -m 0644 "$here/$unit" "$root$UNIT_DIR/$unit"
    done
    live systemctl daemon-reload
    for unit in antre-hub.service antre-hub-web.service; do
        live systemctl enable "$unit"
        live systemctl restart "$unit"
    done
    say "installed antre-hub and antre-hub-web; logs: journalctl -u 'antre-hub*' -f;"
    say "settings: $ETC/hub.env; accounts: $VENV/bin/antre-hub-admin add ..."
    exit 0
fi

# --- checks: nothing is changed before they all pass ----------------------------------------

need() { command -v "$1" >/dev/null 2>&1 || command -v "/usr/sbin/$1" >/dev/null 2>&1; }
missing=()
require() { need "$1" || missing+=("$1 ($2)"); }

if ! offline && [ "$check_only" = 0 ] && [ "$(id -u)" -ne 0 ]; then
    die "run as root: sudo $0 $role $config"
fi
need python3 || die "python3 is missing: install Python 3.11 or newer (apt-get install python3)"

if [ "$role" = uninstall ]; then
    [ "$check_only" = 0 ] || { say "uninstall would remove the program, units and configuration"; exit 0; }
else
    [ -f "$config" ] || die "no such file: $config"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    facts=$work/facts
    if [ "$role" = central ]; then
        python3 "$here/preflight.py" central "$config" "$root$MQTT_DIR" >"$facts"
    else
        mkdir "$work/bundle"
        python3 "$here/preflight.py" "$role" "$config" "$work/bundle" >"$facts"
    fi
    SITE_ID="" DEVICE="central" TLS=0 ENGLISH=0 USB_PRINTER=""
    PREVIOUS_HOST="" PREVIOUS_PORT="" PREVIOUS_TLS=""
    while IFS='=' read -r key value; do
        case "$key" in
            SITE_ID|DEVICE|TLS|ENGLISH|USB_PRINTER|PREVIOUS_HOST|PREVIOUS_PORT|PREVIOUS_TLS)
                printf -v "$key" '%s' "$value" ;;
        esac
    done <"$facts"

    if [ "$role" = central ]; then
        # An upgrade keeps the Mosquitto address, port and TLS of the last provisioning.
        [ -n "$tls" ] || tls=${PREVIOUS_TLS:-0}
        TLS=$tls
        if [ -z "$host" ]; then host=$PREVIOUS_HOST; fi
        if [ -z "$host" ] && ! offline; then host=$(hostname -I 2>/dev/null | awk '{print $1}'); fi
        [ -n "$host" ] || die "cannot tell this central's LAN address: give it with --host"
        if [ -n "$PREVIOUS_PORT" ] && [ "$PREVIOUS_TLS" = "$TLS" ]; then port=$PREVIOUS_PORT; fi
    fi

    packages=(python3 python3-venv ca-certificates)
    case "$role" in
        central)
            packages+=(mosquitto mosquitto-clients openssl)
            require mosquitto "apt-get install mosquitto"
            require mosquitto_passwd "apt-get install mosquitto"
            [ "$TLS" = 0 ] || require openssl "apt-get install openssl" ;;
        kiosk)
            packages+=(libusb-1.0-0) ;;
        survey)
            # Buttons and LEDs only: gpiozero, with lgpio below; no printer, no libusb.
            ;;
        display)
            packages+=(espeak-ng fonts-dejavu-core libgbm1 libegl1 libgles2 alsa-utils)
            [ -d "$root$DATA/voice" ] || require espeak-ng "apt-get install espeak-ng" ;;
    esac
    if [ -z "${ANTRE_VENV:-}" ]; then
        python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=("python3-venv (apt-get install python3-venv)")
    elif [ ! -x "$ANTRE_VENV/bin/antre-check-config" ]; then
        die "ANTRE_VENV=$ANTRE_VENV has no antre installed in it"
    fi
    if ! offline && [ "$check_only" = 0 ]; then
        require systemctl "systemd"
        require systemd-sysusers "systemd"
        [ "$role" != kiosk ] || require udevadm "udev"
    fi
    if [ "$skip_apt" = 1 ] || offline || [ "$check_only" = 1 ]; then
        # Nothing will be installed: what is missing now stays missing.
        if [ ${#missing[@]} -gt 0 ]; then
            die "missing: ${missing[*]}"
        fi
    else
        need apt-get || die "apt-get not found: install these packages first: ${packages[*]}"
    fi

    # The whole site file checked, if an environment to check it with is there already
    # (on an upgrade; a first install checks it once the environment is built).
    site_source=$config
    [ "$role" = central ] || site_source=$work/bundle/site.toml
    venv=${ANTRE_VENV:-$root$VENV}
    if [ -x "$venv/bin/antre-check-config" ]; then
        "$venv/bin/antre-check-config" "$site_source" >/dev/null 2>"$work/check" \
            || die "the site file is refused: $(cat "$work/check")"
    fi
    if [ "$check_only" = 1 ]; then
        say "ok: $role ${DEVICE} of site $SITE_ID can be installed from $config"
        exit 0
    fi
fi

# --- uninstall -------------------------------------------------------------------------

if [ "$role" = uninstall ]; then
    for unit in antre-backup.timer antre-backup.service antre-central.service \
            antre-kiosk.service antre-survey.service antre-display.service \
            antre-hub.service antre-hub-web.service; do
        if [ -e "$root$UNIT_DIR/$unit" ]; then
            live systemctl disable --now "$unit" || true
            rm -f "$root$UNIT_DIR/$unit"
        fi
    done
    if [ -e "$root$MOSQUITTO_DROPIN" ]; then
        rm -f "$root$MOSQUITTO_DROPIN"
        rmdir "$root$(dirname "$MOSQUITTO_DROPIN")" 2>/dev/null || true
        live systemctl daemon-reload
        # Back on Debian's own configuration: the site's broker stops serving.
        live systemctl try-restart mosquitto.service || true
    else
        live systemctl daemon-reload
    fi
    if [ -e "$root$UDEV_RULE" ]; then
        rm -f "$root$UDEV_RULE"
        live udevadm control --reload || true
    fi
    rm -f "$root$SYSUSERS" "$root$ETC/antre.env" "$root$ETC/site.toml" "$root$ETC/hub.env"
    rm -rf "${root:?}$PREFIX"
    say "removed. Kept: $DATA (the data), $ETC/credentials.toml and $ETC/ca.crt (secrets),"
    say "$BACKUP_DIR (the central's backups)"
    say "and the antre user, who owns the data; install again to come back as before."
    exit 0
fi

# --- install or upgrade ----------------------------------------------------------------------

if [ "$skip_apt" != 1 ] && ! offline; then
    say "system packages: ${packages[*]}"
    "$source_dir/scripts/ensure-system-packages.sh" "${packages[@]}"
    if [ "$role" = kiosk ] || [ "$role" = survey ]; then
        # Raspberry Pi OS packages lgpio (gpiozero's pin driver on every Pi, the Pi 5
        # included); the kiosk's and survey unit's environment sees it
        # (--system-site-packages).
        if apt-cache show python3-lgpio >/dev/null 2>&1; then
            "$source_dir/scripts/ensure-system-packages.sh" python3-lgpio
        else
            say "warning: no python3-lgpio package here: the $role needs lgpio for its pins"
        fi
    fi
fi

if [ -z "${ANTRE_VENV:-}" ]; then
    if [ ! -x "$venv/bin/python" ]; then
        say "virtual environment: $VENV"
        site_packages=()
        case "$role" in kiosk|survey) site_packages=(--system-site-packages) ;; esac
        python3 -m venv "${site_packages[@]}" "$venv"
    fi
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet "${source_dir}[$role]"
    # The same version number again is still this checkout's code.
    "$venv/bin/pip" install --quiet --no-deps --force-reinstall "$source_dir"
fi
"$venv/bin/antre-check-config" "$site_source" >/dev/null 2>"$work/check" \
    || die "the site file is refused (nothing configured yet): $(cat "$work/check")"

# The system user, and the gpio group where the OS has none.
install -D -m 0644 "$here/antre-sysusers.conf" "$root$SYSUSERS"
live systemd-sysusers "$SYSUSERS"

install -d -m 0755 "$root$ETC" "$root$DATA" "$root$PREFIX/docs"
install -m 0644 "$source_dir/docs/technician.md" "$root$PREFIX/docs/technician.md"
# (An upgrade may be run from the installed file itself.)
[ "$site_source" -ef "$root$ETC/site.toml" ] || install -m 0644 "$site_source" "$root$ETC/site.toml"

# The environment file: made from the template once; later runs set only their keys.
env_file=$root$ETC/antre.env
[ -e "$env_file" ] || install -m 0644 "$here/antre.env" "$env_file"
set_env() {
    if grep -q "^$1=" "$env_file"; then
        sed -i "s|^$1=.*|$1=$2|" "$env_file"
    else
        printf '%s=%s\n' "$1" "$2" >>"$env_file"
    fi
}
# A key a newer release added, for a file made by an older one: the technician's value wins.
default_env() { grep -q "^$1=" "$env_file" || printf '%s=%s\n' "$1" "$2" >>"$env_file"; }
set_env ANTRE_ROLE "$role"
set_env ANTRE_DEVICE "$DEVICE"
set_env ANTRE_SITE "$ETC/site.toml"
[ -z "$web_port" ] || set_env ANTRE_WEB_PORT "$web_port"

case "$role" in
    central)
        # --web-tls: the staff pages' certificate, signed by the site's CA.
        provision=("$venv/bin/antre-provision" "$root$ETC/site.toml" --dir "$root$MQTT_DIR"
                   --host "$host" --web-tls)
        [ -z "$port" ] || provision+=(--port "$port")
        [ "$TLS" = 0 ] || provision+=(--tls)
        "${provision[@]}" >"$work/provision" || die "provisioning failed"
        sed 's/^/  /' "$work/provision"
        install -D -m 0644 "$here/mosquitto-antre.conf" "$root$MOSQUITTO_DROPIN"
        # The backups (antre-backup.timer): the service loads tls/ (LoadCredential=), so
        # it is made even without TLS; the backup folder is the antre user's alone.
        [ -d "$root$MQTT_DIR/tls" ] || install -d -m 0755 "$root$MQTT_DIR/tls"
        default_env ANTRE_PUBLIC_ARGS "--public-port 8081"
        default_env ANTRE_BACKUP_DIR "$BACKUP_DIR"
        default_env ANTRE_BACKUP_KEEP 14
        if [ ! -d "$root$BACKUP_DIR" ]; then
            install -d -m 0700 "$root$BACKUP_DIR"
            live chown antre:antre "$BACKUP_DIR"
        fi
        ;;
    kiosk|survey|display)
        install -m 0600 "$work/bundle/credentials.toml" "$root$ETC/credentials.toml"
        if [ "$TLS" = 1 ]; then
            install -m 0644 "$work/bundle/ca.crt" "$root$ETC/ca.crt"
        else
            rm -f "$root$ETC/ca.crt"
        fi
        ;;
esac

if [ "$role" = kiosk ]; then
    {
        cat "$here/60-antre-printer.rules"
        if [ -n "$USB_PRINTER" ]; then
            printf '\n# This kiosk'"'"'s printer (usb_vendor_id and usb_product_id of the site file).\n'
            printf 'SUBSYSTEM=="usb", ATTR{idVendor}=="%s", ATTR{idProduct}=="%s", MODE="0660", GROUP="lp"\n' \
                "${USB_PRINTER%%:*}" "${USB_PRINTER##*:}"
        fi
    } >"$work/rules"
    install -D -m 0644 "$work/rules" "$root$UDEV_RULE"
    live udevadm control --reload
    live udevadm trigger --subsystem-match=usb --subsystem-match=usbmisc
fi

if [ "$role" = display ] && [ ! -d "$root$DATA/voice" ]; then
    # The default voice (espeak-ng); a human recording put there later is kept.
    voice=("$venv/bin/antre-voice-pack" --out "$root$DATA/voice")
    [ "$ENGLISH" = 0 ] || voice+=(--english)
    "${voice[@]}"
fi

install -D -m 0644 "$here/antre-$role.service" "$root$UNIT_DIR/antre-$role.service"
if [ "$role" = central ]; then
    install -m 0644 "$here/antre-backup.service" "$here/antre-backup.timer" "$root$UNIT_DIR/"
fi
live systemctl daemon-reload
if [ "$role" = central ]; then
    live systemctl enable mosquitto.service
    live systemctl restart mosquitto.service
fi
live systemctl enable "antre-$role.service"
live systemctl restart "antre-$role.service"
if [ "$role" = central ]; then
    live systemctl enable antre-backup.timer
    live systemctl restart antre-backup.timer
fi

say "installed antre-$role ($DEVICE, site $SITE_ID)."
say "its log: journalctl -u antre-$role -f; its settings: $ETC/antre.env"
if [ "$role" = central ]; then
    say "backups: $BACKUP_DIR twice a day (systemctl list-timers antre-backup); put a USB"
    say "  stick there: docs/technician.md, section 10"
    say "add a kiosk, survey unit or display: docs/technician.md, or"
    say "  sudo $VENV/bin/antre-bundle $ETC/site.toml --dir $MQTT_DIR --device ID --out ID.tar.gz --reload"
fi
