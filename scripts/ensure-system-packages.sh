#!/usr/bin/env bash
# Installs the Debian packages named on the command line, where they are missing.
# Runs on Debian and Raspberry Pi OS; elsewhere it says what to install and fails,
# so nobody wonders later why a test cannot find mosquitto.
set -euo pipefail

missing=()
for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "antre: please install these system packages first: ${missing[*]}" >&2
    echo "antre: (this script only knows apt-get, for Debian and Raspberry Pi OS)" >&2
    exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
        echo "antre: need root to install ${missing[*]}; run as root or install sudo" >&2
        exit 1
    }
    sudo="sudo"
fi

echo "antre: installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them once, quietly.
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
