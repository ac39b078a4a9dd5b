#!/usr/bin/env bash
# bench/run.sh: reviewradar vs rss2email over 1,000 local RSS feeds.
#
# Usage (from anywhere, on Debian, as root or as a user with sudo):
#
#     bash bench/run.sh
#
# What it does (details in bench/README.md):
#   1. installs nginx-light (or nginx), rss2email, time, curl and python3 with
#      apt-get if any is missing (apt-get update runs only when something is);
#   2. generates 1,000 RSS 2.0 feeds x 50 entries into bench/work/feeds/ with
#      bench/gen_feeds.py (deterministic seed);
#   3. starts a private nginx on 127.0.0.1:8089 (own config, pid, logs and temp
#      dirs under bench/work/nginx/), stopped again on exit;
#   4. runs `reviewradar once` COLD (fresh state) then WARM (same state: 304s),
#      building target/release/reviewradar first if it is missing;
#   5. runs `r2e run --no-send` COLD then WARM over the same feeds, with its own
#      config/data/lock dirs under bench/work/r2e/;
#   6. times every run with /usr/bin/time (wall, user+sys CPU, peak RSS) and
#      prints a table with the speedups and the targets, also written to
#      bench/work/results.txt.
#
# Everything it talks to is 127.0.0.1:$BENCH_PORT. Nothing sends mail.
#
# Knobs (environment variables):
#   BENCH_FEEDS=1000        number of feeds
#   BENCH_ENTRIES=50        entries per feed
#   BENCH_SEED=20240601     generator seed
#   BENCH_NOW=...           generator anchor time (ISO 8601, default today 00:00 UTC)
#   BENCH_PORT=8089         nginx port on 127.0.0.1
#   BENCH_TOOLS="reviewradar rss2email"   which tools to run (either or both)
#   BENCH_WORK=bench/work   work directory
#   REVIEWRADAR_BIN=target/release/reviewradar
#   BENCH_NO_BUILD=1        do not run `cargo build --release` when the binary is missing
#
# Exit status: 0 when every selected run completed (targets missed are reported,
# not fatal), non-zero when setup failed or a tool exited non-zero.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
WORK=${BENCH_WORK:-$HERE/work}
FEEDS=${BENCH_FEEDS:-1000}
ENTRIES=${BENCH_ENTRIES:-50}
SEED=${BENCH_SEED:-20240601}
NOW=${BENCH_NOW:-$(date -u +%Y-%m-%dT00:00:00Z)}
PORT=${BENCH_PORT:-8089}
TOOLS=${BENCH_TOOLS:-"reviewradar rss2email"}
RR_BIN=${REVIEWRADAR_BIN:-$REPO/target/release/reviewradar}
TIME=/usr/bin/time
HOSTPORT="127.0.0.1:$PORT"
BASE_URL="http://$HOSTPORT/feeds"

# Targets printed beside the figures.
TARGET_COLD_SPEEDUP=20
TARGET_WARM_SPEEDUP=10
TARGET_RR_RSS_MIB=40

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
want() { case " $TOOLS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

[[ "$FEEDS" =~ ^[0-9]+$ && "$FEEDS" -ge 1 && "$FEEDS" -le 9999 ]] || die "BENCH_FEEDS must be 1..9999"
[[ "$ENTRIES" =~ ^[0-9]+$ && "$ENTRIES" -ge 1 ]] || die "BENCH_ENTRIES must be >= 1"
[[ "$PORT" =~ ^[0-9]+$ ]] || die "BENCH_PORT must be a number"
want reviewradar || want rss2email || die "BENCH_TOOLS names neither reviewradar nor rss2email"

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "not root and no sudo: run as root"
    SUDO=(sudo)
fi

# Keep every HTTP request of this bench on loopback: no proxy may intercept it.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY ftp_proxy FTP_PROXY || true
export no_proxy="127.0.0.1,localhost" NO_PROXY="127.0.0.1,localhost"
export LC_ALL=C.UTF-8

# ---------------------------------------------------------------- 1. packages
NGINX=$(command -v nginx || true)
[[ -z "$NGINX" && -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx
missing=()
[[ -n "$NGINX" ]] || missing+=(nginx)
command -v r2e >/dev/null || missing+=(rss2email)
[[ -x "$TIME" ]] || missing+=(time)
command -v curl >/dev/null || missing+=(curl)
command -v python3 >/dev/null || missing+=(python3)
if ((${#missing[@]})); then
    log "installing missing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -q
    pkgs=()
    for m in "${missing[@]}"; do
        [[ $m == nginx ]] || pkgs+=("$m")
    done
    if ((${#pkgs[@]})); then
        "${SUDO[@]}" apt-get install -y -q "${pkgs[@]}"
    fi
    if [[ " ${missing[*]} " == *" nginx "* ]]; then
        # nginx-light is gone from newer Debian releases; plain nginx works as well.
        "${SUDO[@]}" apt-get install -y -q nginx-light || "${SUDO[@]}" apt-get install -y -q nginx
    fi
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
fi
[[ -x "$NGINX" ]] || die "nginx not found after install"
command -v r2e >/dev/null || die "r2e not found after install"

# ------------------------------------------------------------- 2. reviewradar
if want reviewradar && [[ ! -x "$RR_BIN" ]]; then
    [[ -z "${BENCH_NO_BUILD:-}" ]] || die "$RR_BIN missing and BENCH_NO_BUILD is set"
    command -v cargo >/dev/null || die "$RR_BIN missing and cargo not found"
    log "building reviewradar (cargo build --release)"
    (cd "$REPO" && cargo build --release) || die "cargo build --release failed (run with BENCH_TOOLS=rss2email to bench rss2email alone)"
    [[ -x "$RR_BIN" ]] || die "$RR_BIN still missing after cargo build --release"
fi

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
LOGS=$WORK/logs
mkdir -p "$LOGS"

# ---------------------------------------------------------------- 3. feeds
stamp="seed=$SEED now=$NOW feeds=$FEEDS entries=$ENTRIES gen=$(sha256sum "$HERE/gen_feeds.py" | cut -c1-16)"
if [[ -f "$WORK/feeds/.stamp" && "$(cat "$WORK/feeds/.stamp")" == "$stamp" ]]; then
    log "feeds up to date ($stamp)"
else
    log "generating $FEEDS feeds x $ENTRIES entries"
    rm -rf "$WORK/feeds"
    python3 "$HERE/gen_feeds.py" --out "$WORK/feeds" --feeds "$FEEDS" --entries "$ENTRIES" --seed "$SEED" --now "$NOW"
    printf '%s\n' "$stamp" >"$WORK/feeds/.stamp"
fi
ids=()
for ((i = 1; i <= FEEDS; i++)); do ids+=("$(printf 'feed-%04d' "$i")"); done

# ---------------------------------------------------------------- 4. nginx
NGX=$WORK/nginx
NGINX_PID=""
CHILD_PID=""
cleanup() {
    local rc=$?
    if [[ -n "$CHILD_PID" ]] && kill -0 "$CHILD_PID" 2>/dev/null; then
        log "stopping the run in progress (pid $CHILD_PID and its child)"
        pkill -TERM -P "$CHILD_PID" 2>/dev/null || true
        kill -TERM "$CHILD_PID" 2>/dev/null || true
        wait "$CHILD_PID" 2>/dev/null || true
    fi
    if [[ -n "$NGINX_PID" ]] && kill -0 "$NGINX_PID" 2>/dev/null; then
        log "stopping nginx (pid $NGINX_PID)"
        kill -TERM "$NGINX_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "127.0.0.1:$PORT is already in use (another bench running? set BENCH_PORT)"
fi

rm -rf "$NGX"
mkdir -p "$NGX/tmp"
user_line=""
if [[ $(id -u) -eq 0 ]]; then
    # Root master: workers drop to nobody when nobody can read the feeds.
    if command -v runuser >/dev/null && runuser -u nobody -- test -r "$WORK/feeds/feed-0001.xml" 2>/dev/null; then
        user_line="user nobody $(id -gn nobody 2>/dev/null || echo nogroup);"
        chmod 0777 "$NGX/tmp"
    else
        log "warning: user nobody cannot read $WORK/feeds; nginx workers run as root"
        user_line="user root;"
    fi
fi
temp_lines=""
for kind in client_body proxy fastcgi uwsgi scgi; do
    flag=${kind/client_body/client-body}
    if "$NGINX" -V 2>&1 | grep -q -- "--http-$flag-temp-path"; then
        temp_lines+="    ${kind}_temp_path $NGX/tmp/$kind;"$'\n'
    fi
done
cat >"$NGX/nginx.conf" <<EOF
# Generated by bench/run.sh: a private nginx for the benchmark only.
$user_line
worker_processes 1;
pid $NGX/nginx.pid;
error_log $NGX/error.log warn;
events { worker_connections 1024; }
http {
    log_format bench '\$status \$request_method \$uri inm="\$http_if_none_match" ims="\$http_if_modified_since" ua="\$http_user_agent"';
    access_log $NGX/access.log bench;
$temp_lines    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65s;
    keepalive_requests 100000;
    server_tokens off;
    types { application/rss+xml xml; }
    default_type application/octet-stream;
    # Defaults kept on purpose: etag on; if_modified_since exact; so
    # conditional GETs of unchanged files get 304 Not Modified.
    server {
        listen $HOSTPORT;
        server_name localhost;
        root $WORK;
        location /feeds/ { try_files \$uri =404; }
        location / { return 404; }
    }
}
EOF
"$NGINX" -t -q -p "$NGX" -e "$NGX/error.log" -c "$NGX/nginx.conf" || die "nginx config test failed"
"$NGINX" -p "$NGX" -e "$NGX/error.log" -c "$NGX/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
for _ in $(seq 100); do
    curl -sf -o /dev/null "$BASE_URL/feed-0001.xml" && break
    kill -0 "$NGINX_PID" 2>/dev/null || die "nginx exited; see $NGX/error.log"
    sleep 0.1
done
curl -sf -o /dev/null "$BASE_URL/feed-0001.xml" || die "nginx does not serve $BASE_URL/feed-0001.xml"
etag=$(curl -sfI "$BASE_URL/feed-0001.xml" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$BASE_URL/feed-0001.xml")
[[ "$code" == 304 ]] || die "conditional GET gave $code, not 304"
log "nginx up on $HOSTPORT (pid $NGINX_PID), ETag $etag -> 304 on If-None-Match"
cat "$WORK"/feeds/*.xml >/dev/null # page cache warm for everyone

# ---------------------------------------------------------------- timing
# timed NAME CMD...: runs CMD under /usr/bin/time, output to $LOGS/NAME.log,
# figures to $WORK/time-NAME.txt ("wall user sys maxrss_kib exit"), and the
# nginx status counts for the run to $WORK/http-NAME.txt.
timed() {
    local name=$1; shift
    local before after
    before=$(wc -l <"$NGX/access.log")
    log "run $name: $*"
    # In the background + wait, so that INT/TERM interrupt the wait at once and
    # the EXIT trap can stop the tool too.
    "$TIME" -o "$WORK/time-$name.raw" -f '%e %U %S %M %x' "$@" >"$LOGS/$name.log" 2>&1 &
    CHILD_PID=$!
    wait "$CHILD_PID" || true
    CHILD_PID=""
    tail -n 1 "$WORK/time-$name.raw" >"$WORK/time-$name.txt"
    sleep 0.2 # let nginx finish writing its access log lines
    after=$(wc -l <"$NGX/access.log")
    sed -n "$((before + 1)),${after}p" "$NGX/access.log" | awk '{print $1}' | sort | uniq -c |
        awk '{printf "%s%s=%s", (NR > 1 ? " " : ""), $2, $1} END {print ""}' >"$WORK/http-$name.txt"
    read -r wall user sys rss rc <"$WORK/time-$name.txt"
    log "  $name: wall ${wall}s cpu $(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')s maxrss ${rss}KiB exit $rc; http: $(cat "$WORK/http-$name.txt")"
    if [[ "$rc" != 0 ]]; then
        log "  $name exited $rc; last lines of $LOGS/$name.log:"
        tail -n 20 "$LOGS/$name.log" >&2 || true
        FAILED+=("$name")
    fi
}
FAILED=()
rm -f "$WORK"/time-*.txt "$WORK"/time-*.raw "$WORK"/http-*.txt "$WORK"/stored-*.txt "$WORK/results.txt"
# Other work on the machine skews wall times: record it, and warn.
cut -d' ' -f1-3 /proc/loadavg >"$WORK/loadavg-before.txt"
load1=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load1" 'BEGIN { exit !(l > 0.5) }'; then
    log "warning: 1-minute load average is $load1: other processes compete for the CPU, wall times will suffer"
fi

# ---------------------------------------------------------------- 5. reviewradar
if want reviewradar; then
    RR_CFG=$WORK/reviewradar.toml
    RR_STATE=$WORK/rr-state
    {
        echo "# Generated by bench/run.sh"
        echo "[daemon]"
        echo "state_dir = '$RR_STATE'"
        echo 'backfill = "7d"'
        echo 'user_agent = "reviewradar-bench/0.1 (+https://example.invalid)"'
        echo
        echo "[http]"
        echo "max_concurrency = 32"
        echo "per_host_concurrency = 2"
        echo 'per_host_min_gap = "1s"'
        echo
        echo "[http.hosts.\"$HOSTPORT\"]"
        echo "concurrency = 32"
        echo 'min_gap = "0s"'
        for id in "${ids[@]}"; do
            printf '\n[sources.%s]\ntype = "feed"\nurl = "%s/%s.xml"\ninterval = "15m"\n' "$id" "$BASE_URL" "$id"
        done
    } >"$RR_CFG"
    rc=0
    "$RR_BIN" check-config --config "$RR_CFG" >"$LOGS/rr-check-config.log" 2>&1 || rc=$?
    if [[ $rc -ne 0 ]]; then
        cat "$LOGS/rr-check-config.log" >&2
        die "reviewradar check-config exited $rc for $RR_CFG"
    fi
    rm -rf "$RR_STATE"
    timed reviewradar-cold "$RR_BIN" once --config "$RR_CFG"
    timed reviewradar-warm "$RR_BIN" once --config "$RR_CFG"
    # Not timed: what the cold run stored (`mentions` is optional here).
    count_json='import json,sys; print(len(json.load(sys.stdin)))'
    stored=$("$RR_BIN" mentions --config "$RR_CFG" --json 2>/dev/null | python3 -c "$count_json" 2>/dev/null || echo '?')
    negative=$("$RR_BIN" mentions --config "$RR_CFG" --negative --json 2>/dev/null | python3 -c "$count_json" 2>/dev/null || echo '?')
    log "  reviewradar stored $stored mentions, $negative negative ($((FEEDS * ENTRIES)) entries served); $(tail -n 1 "$LOGS/reviewradar-cold.log")"
    echo "stored=$stored negative=$negative" >"$WORK/stored-reviewradar.txt"
fi

# ---------------------------------------------------------------- 6. rss2email
if want rss2email; then
    R2E_BIN=$(command -v r2e)
    R2E=$WORK/r2e
    rm -rf "$R2E"
    mkdir -p "$R2E/config" "$R2E/data" "$R2E/run"
    chmod 0700 "$R2E/run"
    # Isolated: own config, data file and lock dir; nothing under $HOME is touched.
    export XDG_CONFIG_HOME=$R2E/config XDG_DATA_HOME=$R2E/data XDG_RUNTIME_DIR=$R2E/run
    R2E_CFG=$R2E/config/rss2email.cfg
    R2E_DATA=$R2E/data/rss2email.json
    r2e() { "$R2E_BIN" -c "$R2E_CFG" -d "$R2E_DATA" "$@"; }
    r2e new bench@example.invalid >"$LOGS/r2e-setup.log" 2>&1
    # Belt and braces on top of --no-send: any mail would go to /bin/false.
    sed -i -e 's|^email-protocol = .*|email-protocol = sendmail|' \
        -e 's|^sendmail = .*|sendmail = /bin/false|' \
        -e 's|^smtp-server = .*|smtp-server = 127.0.0.1|' \
        -e 's|^imap-server = .*|imap-server = 127.0.0.1|' \
        -e 's|^user-agent = .*|user-agent = rss2email-bench/__VERSION__|' "$R2E_CFG"
    grep -q '^sendmail = /bin/false$' "$R2E_CFG" || die "could not defuse sendmail in $R2E_CFG"
    # One real `r2e add` to pin the format, then the rest written directly
    # (999 more `r2e add` calls would take minutes).
    r2e add "${ids[0]}" "$BASE_URL/${ids[0]}.xml" >>"$LOGS/r2e-setup.log" 2>&1
    if ! grep -qx "\[feed\.${ids[0]}\]" "$R2E_CFG" || ! grep -qx "url = $BASE_URL/${ids[0]}.xml" "$R2E_CFG"; then
        die "r2e add wrote an unexpected config format; see $R2E_CFG"
    fi
    for id in "${ids[@]:1}"; do
        printf '\n[feed.%s]\nurl = %s/%s.xml\n' "$id" "$BASE_URL" "$id"
    done >>"$R2E_CFG"
    n=$(r2e list 2>/dev/null | wc -l)
    [[ "$n" -eq "$FEEDS" ]] || die "r2e list shows $n feeds, expected $FEEDS"
    timed rss2email-cold "$R2E_BIN" -c "$R2E_CFG" -d "$R2E_DATA" run --no-send
    timed rss2email-warm "$R2E_BIN" -c "$R2E_CFG" -d "$R2E_DATA" run --no-send
    seen=$(python3 -c 'import json,sys; print(sum(len(f.get("seen") or {}) for f in json.load(open(sys.argv[1]))["feeds"]))' "$R2E_DATA" 2>/dev/null || echo '?')
    log "  rss2email remembers $seen entries (expected $((FEEDS * ENTRIES)))"
    echo "stored=$seen" >"$WORK/stored-rss2email.txt"
fi

# ---------------------------------------------------------------- 7. report
python3 - "$WORK" "$FEEDS" "$ENTRIES" "$TARGET_COLD_SPEEDUP" "$TARGET_WARM_SPEEDUP" "$TARGET_RR_RSS_MIB" <<'PY' | tee "$WORK/results.txt"
import os, sys, platform, datetime
work, feeds, entries = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
load0 = open(os.path.join(work, "loadavg-before.txt")).read().strip() if os.path.exists(os.path.join(work, "loadavg-before.txt")) else "?"
t_cold, t_warm, t_rss = (float(x) for x in sys.argv[4:7])
rows = {}
for tool in ("reviewradar", "rss2email"):
    for run in ("cold", "warm"):
        p = os.path.join(work, "time-%s-%s.txt" % (tool, run))
        if not os.path.exists(p):
            continue
        wall, user, sys_, rss, rc = open(p).read().split()
        http = ""
        hp = os.path.join(work, "http-%s-%s.txt" % (tool, run))
        if os.path.exists(hp):
            http = open(hp).read().strip()
        rows[(tool, run)] = dict(wall=float(wall), cpu=float(user) + float(sys_),
                                 rss=int(rss) / 1024.0, rc=int(rc), http=http)
print("reviewradar vs rss2email: %d feeds x %d entries over http://127.0.0.1 (nginx, ETag/Last-Modified)" % (feeds, entries))
print("host: %s, %d cores, %s, load average before the runs: %s" % (
    platform.node(), os.cpu_count() or 0,
    datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), load0))
print()
print("%-12s %-5s %9s %9s %14s %5s  %s" % ("tool", "run", "wall s", "CPU s", "peak RSS MiB", "exit", "HTTP statuses"))
for (tool, run), r in rows.items():
    print("%-12s %-5s %9.2f %9.2f %14.1f %5d  %s" % (tool, run, r["wall"], r["cpu"], r["rss"], r["rc"], r["http"]))
for tool in ("reviewradar", "rss2email"):
    sp = os.path.join(work, "stored-%s.txt" % tool)
    if os.path.exists(sp):
        print("%s after the runs: %s (of %d entries served)" % (tool, open(sp).read().strip(), feeds * entries))
print()
def ratio(run, key):
    a, b = rows.get(("reviewradar", run)), rows.get(("rss2email", run))
    if not a or not b:
        return None
    return b[key] / max(a[key], 0.005)
for run, target in (("cold", t_cold), ("warm", t_warm)):
    w, c = ratio(run, "wall"), ratio(run, "cpu")
    if w is None:
        print("%s speedup: n/a (need both tools)            target >= %gx" % (run, target))
    else:
        print("%s speedup (rss2email wall / reviewradar wall): %6.1fx  target >= %gx  %s   (CPU ratio %.1fx)"
              % (run, w, target, "MET" if w >= target else "MISSED", c))
peak = max((r["rss"] for (t, _), r in rows.items() if t == "reviewradar"), default=None)
if peak is None:
    print("reviewradar peak RSS: n/a                     target <= %g MiB" % t_rss)
else:
    print("reviewradar peak RSS: %.1f MiB                 target <= %g MiB  %s"
          % (peak, t_rss, "MET" if peak <= t_rss else "MISSED"))
PY
log "results written to $WORK/results.txt; logs in $LOGS"
((${#FAILED[@]} == 0)) || die "runs that exited non-zero: ${FAILED[*]}"
