#!/usr/bin/env bash
# Installs the Debian packages Duet needs, only those that are missing (needs root or sudo).
set -euo pipefail
packages=(libopenblas-dev pkg-config libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    echo "installing: ${missing[*]}"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
