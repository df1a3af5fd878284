# Helpers of the daemon scenarios (daemon-*.sh), sourced after lib.sh. rprocd runs in the guest as
# on a board: root /, the real /dev/kmsg, no system bus (--system-bus no), its private socket
# /run/rprocd/control, configuration in /etc/rprocd, state in /var/lib/rprocd. The guest runs no
# udevd, so rprocd finds changes through the kernel log and its state poll only.
# rprocctl talks to it over the socket ($RPROCD_SOCKET). Only for the guest: these scenarios are
# not part of the differential check (their records hold times and the daemon's log).
RPROCD="${RPROCD:-rprocd}"
CTL="${RPROCCTL:-rprocctl}"
DCONF=/etc/rprocd
DSTATE=/var/lib/rprocd
export RPROCD_SOCKET=/run/rprocd/control
DPID=""
DLOG="$STATE/rprocd.log"
DLOGSEEN=0
OUT=""

# now_ms: milliseconds since boot.
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# policy NAME TEXT: writes /etc/rprocd/processors.d/NAME.rproc (TEXT: lines separated by ';').
policy() {
    mkdir -p "$DCONF/processors.d"
    printf '%s\n' "$2" | tr ';' '\n' > "$DCONF/processors.d/$1.rproc"
    rec "policy $1.rproc: $2"
}

# daemon_start [OPTIONS]: starts rprocd in the background and waits (30 s) until rprocctl gets an
# answer on its socket.
daemon_start() {
    mkdir -p "$DCONF" "$DSTATE" /run/rprocd
    "$RPROCD" --socket "$RPROCD_SOCKET" --state-dir "$DSTATE" --config-dir "$DCONF" --system-bus no "$@" >> "$DLOG" 2>&1 &
    DPID=$!
    t0="$(now_ms)"
    while :; do
        if "$CTL" list > /dev/null 2>&1; then R=up; break; fi
        if ! kill -0 "$DPID" 2> /dev/null; then R="exited"; break; fi
        [ $(($(now_ms) - t0)) -gt 30000 ] && { R=timeout; break; }
        sleep 0.1
    done
    rec "rprocd${*:+ $*}: $R"
    [ "$R" = up ] || { dlog; FAILS=$((FAILS + 1)); }
}

# daemon_stop SIGNAL: signals rprocd and waits for its exit (R: "exit N").
daemon_stop() {
    kill -"$1" "$DPID"
    wait "$DPID"
    R="exit $?"
    rec "rprocd killed by SIG$1: $R"
    DPID=""
}

# dlog: rprocd's log lines since the last dlog.
dlog() {
    [ -f "$DLOG" ] || return 0
    n="$(wc -l < "$DLOG")"
    tail -n +$((DLOGSEEN + 1)) "$DLOG" | head -n $((n - DLOGSEEN)) | while IFS= read -r l; do rec "$l"; done
    DLOGSEEN="$n"
}

# ctl ARGS…: runs rprocctl; the record has its exit status and output, R is "exit N", OUT the output.
ctl() {
    OUT="$("$CTL" "$@" 2>&1)"
    R="exit $?"
    rec "rprocctl $*: $R"
    [ -n "$OUT" ] && printf '%s\n' "$OUT" | sed 's/^/  | /'
    return 0
}

# has TEXT: the last rprocctl output contains TEXT.
has() {
    case "$OUT" in
        *"$1"*) ;;
        *) rec "FAIL: expected the output to contain '$1'"; FAILS=$((FAILS + 1)) ;;
    esac
}
# prop NAME PROPERTY: R is the property's value as `rprocctl show -p … --value` prints it.
prop() { R="$("$CTL" show "$1" -p "$2" --value 2>&1)"; rec "show $1 $2: $R"; }

# wait_prop NAME PROPERTY VALUE [SECONDS]: polls the property until it is VALUE (default 30 s).
wait_prop() {
    t0="$(now_ms)"
    while :; do
        v="$("$CTL" show "$1" -p "$2" --value 2>&1)"
        [ "$v" = "$3" ] && { R=ok; break; }
        [ $(($(now_ms) - t0)) -gt $((${4:-30} * 1000)) ] && { R="timeout (last '$v')"; break; }
        sleep 0.1
    done
    rec "wait $1 $2=$3: $R"
}

# wait_ctl TEXT SECONDS ARGS…: repeats `rprocctl ARGS…` until its output contains TEXT.
wait_ctl() {
    text="$1" limit="$2"
    shift 2
    t0="$(now_ms)"
    while :; do
        OUT="$("$CTL" "$@" 2>&1)"
        case "$OUT" in *"$text"*) R=ok; break ;; esac
        [ $(($(now_ms) - t0)) -gt $((limit * 1000)) ] && { R=timeout; break; }
        sleep 0.2
    done
    rec "wait rprocctl $* shows '$text': $R"
    printf '%s\n' "$OUT" | sed 's/^/  | /'
}

# kstate: R is the kernel's state of the current processor P (without the newline).
kstate() { R="$(cat "$ROOT/$SYS/state")"; rec "kernel $SYS/state: $R"; }
# kfile FILE: R is the kernel's FILE of P.
kfile() { R="$(cat "$ROOT/$SYS/$1")"; rec "kernel $SYS/$1: $R"; }

# count_log TEXT: R is how many kernel log lines since the last klog contain TEXT (and are recorded).
count_log() {
    "$IO" kmsg "$KMSG" "$STATE/kmsg" > "$STATE/klines"
    grep -E 'remoteproc|rproc|rpmsg|virtio|firmware|devcoredump|Ramdump' "$STATE/klines" |
        while IFS= read -r l; do rec "log: $l"; done
    R="$(grep -c "$1" "$STATE/klines")"
    rec "kernel log lines with '$1': $R"
}

# dfinish: stops rprocd (SIGTERM) if it runs, prints its log, finishes.
dfinish() {
    if [ -n "$DPID" ]; then daemon_stop TERM; want "exit 0"; fi
    dlog
    finish
}

# settled [TEXT]: waits for the remote's channel announcement (lib.sh's announced: the last line of
# a boot), then records the kernel log so far, so that the next wait or count sees only what
# follows; with TEXT, R is the number of those lines that contain it (count_log).
settled() {
    announced; want ok
    if [ $# -gt 0 ]; then count_log "$1"; else klog; fi
}

# listed NAME STATE: the last `rprocctl list` output has NAME's line with STATE (device name state).
listed() {
    R="$(printf '%s\n' "$OUT" | awk -v n="$1" '$2 == n { print $1, $3 }')"
    rec "listed $1: $R"
}
