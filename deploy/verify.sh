#!/usr/bin/env bash
# deploy/verify.sh: check the systemd files in deploy/ (for CI and by hand).
#
#     bash deploy/verify.sh
#
# - installs systemd (for systemd-analyze / systemd-sysusers) with apt-get if missing;
# - runs `systemd-analyze verify` on a copy of deploy/reviewradar.service whose
#   /usr/bin/reviewradar points at a real binary ($REVIEWRADAR_BIN, else
#   target/release/reviewradar if built, else a throw-away stub), so nothing is
#   written outside a temp dir; if /usr/bin/reviewradar exists the unit is also
#   verified as it is;
# - fails on ANY diagnostic: systemd-analyze exits 0 on "Unknown key ... ignoring"
#   and on unparsable values, which would silently drop a hardening setting;
# - checks that the directives the deployment relies on are present;
# - applies deploy/sysusers.d/reviewradar.conf to an empty temp root;
# - prints `systemd-analyze security --offline` (informational).
# Exit status: 0 all good, 1 a check failed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
UNIT=$HERE/reviewradar.service
SYSUSERS=$HERE/sysusers.d/reviewradar.conf

fail=0
say() { printf 'verify: %s\n' "$*" >&2; }
bad() { say "FAIL: $*"; fail=1; }

if ! command -v systemd-analyze >/dev/null || ! command -v systemd-sysusers >/dev/null; then
    SUDO=()
    [[ $(id -u) -eq 0 ]] || SUDO=(sudo)
    say "installing systemd (for systemd-analyze)"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -q
    "${SUDO[@]}" apt-get install -y -q systemd
fi
say "$(systemd-analyze --version | head -n 1)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bin=${REVIEWRADAR_BIN:-}
if [[ -z "$bin" && -x "$REPO/target/release/reviewradar" ]]; then
    bin=$REPO/target/release/reviewradar
fi
if [[ -z "$bin" ]]; then
    bin=$tmp/bin/reviewradar
    mkdir -p "$tmp/bin"
    printf '#!/bin/sh\nexit 0\n' >"$bin"
    chmod +x "$bin"
    say "no reviewradar binary built: verifying against a stub"
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
[[ -x "$bin" ]] || { say "FAIL: $bin is not executable"; exit 1; }

run_verify() { # run_verify UNITFILE: fail on non-zero exit or any output
    local out rc=0
    out=$(systemd-analyze verify "$1" 2>&1) || rc=$?
    if [[ $rc -ne 0 || -n "$out" ]]; then
        printf '%s\n' "$out" >&2
        bad "systemd-analyze verify $1 (exit $rc, $(printf '%s' "$out" | grep -c '') diagnostic line(s))"
    else
        say "ok: systemd-analyze verify $1"
    fi
}

# The copy keeps the unit's name (verify derives the unit name from it).
sed "s|/usr/bin/reviewradar|$bin|g" "$UNIT" >"$tmp/reviewradar.service"
run_verify "$tmp/reviewradar.service"
if [[ -x /usr/bin/reviewradar ]]; then
    run_verify "$UNIT"
fi

# Directives the deployment (deploy/README.md, the config contract) relies on.
required=(
    'User=reviewradar' 'Group=reviewradar' 'DynamicUser=no'
    'StateDirectory=reviewradar' 'ConfigurationDirectory=reviewradar'
    'ExecStartPre=/usr/bin/reviewradar check-config --config /etc/reviewradar/config.toml'
    'ExecStart=/usr/bin/reviewradar run --config /etc/reviewradar/config.toml'
    'Restart=on-failure' 'RestartPreventExitStatus=78' 'TimeoutStopSec=15' 'KillSignal=SIGTERM'
    'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' 'PrivateDevices=yes'
    'ProtectKernelTunables=yes' 'ProtectKernelModules=yes' 'ProtectKernelLogs=yes'
    'ProtectControlGroups=yes' 'ProtectClock=yes' 'ProtectHostname=yes'
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' 'RestrictNamespaces=yes'
    'RestrictRealtime=yes' 'RestrictSUIDSGID=yes' 'LockPersonality=yes' 'MemoryDenyWriteExecute=yes'
    'SystemCallArchitectures=native' 'SystemCallFilter=@system-service'
    'SystemCallFilter=~@privileged @resources' 'CapabilityBoundingSet=' 'UMask=0077'
)
for line in "${required[@]}"; do
    grep -qxF -- "$line" "$UNIT" || bad "missing line in reviewradar.service: $line"
done
if grep -qE '^(ReadWritePaths|DynamicUser=yes)' "$UNIT"; then
    bad "reviewradar.service must not set ReadWritePaths= or DynamicUser=yes"
fi

# sysusers.d: apply to an empty root and check the user and group appear.
mkdir -p "$tmp/root/etc"
if out=$(systemd-sysusers --root="$tmp/root" "$SYSUSERS" 2>&1); then
    if grep -q '^reviewradar:' "$tmp/root/etc/passwd" 2>/dev/null &&
        grep -q '^reviewradar:' "$tmp/root/etc/group" 2>/dev/null; then
        say "ok: systemd-sysusers creates user and group reviewradar"
    else
        printf '%s\n' "$out" >&2
        bad "systemd-sysusers did not create reviewradar in a temp root"
    fi
    if printf '%s\n' "$out" | grep -qiE 'ignoring|failed|invalid'; then
        printf '%s\n' "$out" >&2
        bad "systemd-sysusers complained about $SYSUSERS"
    fi
else
    printf '%s\n' "$out" >&2
    bad "systemd-sysusers --root failed on $SYSUSERS"
fi

# Informational: exposure score (systemd >= 250 has --offline).
if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
    systemd-analyze security --offline=yes --no-pager "$tmp/reviewradar.service" 2>/dev/null |
        grep -E '^→ Overall exposure' >&2 || true
fi

if ((fail)); then
    say "FAILED"
    exit 1
fi
say "all checks passed"
