# Shared helpers of the kernel-tier scenarios (busybox sh). A scenario is run as
#   sh SCENARIO.sh ROOT KNOBS
# ROOT   / in the QEMU guest, or the virtual board's mount point on the host;
# KNOBS  the fault knobs: /sys/module/rproc_sim/parameters (arrays indexed by remoteprocN) in the
#        guest, MOUNT/.sim (one remoteprocN/ directory per processor) on the virtual board.
# Each step prints one record line; `want` checks the last result against the contract and
# prints "FAIL: …". The scenario's exit status is the number of failed checks (capped at 100).
# rproc-io (Tests/Kernel/rproc-io.c) comes from $RPROC_IO or PATH.
set -u
ROOT="${1:-/}"
ROOT="${ROOT%/}"
KNOBS="${2:-/sys/module/rproc_sim/parameters}"
IO="${RPROC_IO:-rproc-io}"
STATE="$(mktemp -d)"
KMSG="$ROOT/dev/kmsg"
FAILS=0
R=""
LINE="$(cut -d. -f1,2 "$ROOT/proc/sys/kernel/osrelease")"   # 6.1 or 6.12

rec() { printf '%s\n' "$*"; }

# want EXPECTED: the last step's result R must be EXPECTED.
want() {
    if [ "$R" != "$1" ]; then
        rec "FAIL: expected '$1'"
        FAILS=$((FAILS + 1))
    fi
}

# rproc NAME: the remoteprocN whose name is NAME (sets P, SYS, DBG).
rproc() {
    P=none
    for d in "$ROOT"/sys/class/remoteproc/remoteproc*; do
        [ "$(cat "$d/name" 2>/dev/null)" = "$1" ] && P="${d##*/}"
    done
    SYS="sys/class/remoteproc/$P"
    DBG="sys/kernel/debug/remoteproc/$P"
    rec "processor $1: $P"
}

# rd PATH: read (exact bytes, escaped). wr PATH BYTES: one write(2) (C escapes).
rd() { R="$("$IO" read "$ROOT/$1")"; rec "read $1: $R"; }
wr() { R="$("$IO" write "$ROOT/$1" "$2")"; rec "write $1 '$2': $R"; }
size() { R="$("$IO" size "$ROOT/$1")"; rec "size $1: $R"; }
# state CMD: write CMD to the processor's state file, then read the state.
state() { wr "$SYS/state" "$1"; }
st() { rd "$SYS/state"; }

# wait_state STATE [MS]: polls the state file until it reads STATE.
wait_state() { R="$("$IO" wait "$ROOT/$SYS/state" "$1" "${2:-5000}")"; rec "wait $SYS/state $1: $R"; }
appear() { R="$("$IO" appear "$ROOT/$1" "${2:-5000}")"; rec "appear $1: $R"; }
gone() { R="$("$IO" gone "$ROOT/$1" "${2:-5000}")"; rec "gone $1: $R"; }

# lsd DIR: the names in DIR, sorted, on one line ("(absent)" if it does not exist).
lsd() {
    if [ -d "$ROOT/$1" ]; then R="$(ls -1 "$ROOT/$1" | tr '\n' ' ')"; R="${R% }"; else R="(absent)"; fi
    rec "ls $1: $R"
}
# link PATH: the last component of a symlink's target.
link() { R="$(readlink "$ROOT/$1" 2>/dev/null)"; R="${R##*/}"; rec "link $1: ${R:-(none)}"; }
# mode PATH: the permission bits.
mode() { R="$(stat -c %a "$ROOT/$1" 2>/dev/null || echo absent)"; rec "mode $1: $R"; }

# klog: the kernel log lines (remoteproc, rpmsg, virtio, firmware, devcoredump) since the last klog.
klog() {
    "$IO" kmsg "$KMSG" "$STATE/kmsg" | grep -E 'remoteproc|rproc|rpmsg|virtio|firmware|devcoredump|Ramdump' |
        while IFS= read -r l; do rec "log: $l"; done
}
# waitlog TEXT [MS]: waits until a kernel log line since the last klog contains TEXT.
waitlog() { R="$("$IO" waitlog "$KMSG" "$STATE/kmsg" "$1" "${2:-5000}")"; rec "waitlog '$1': $R"; }

# knob NAME VALUE: sets a fault knob of the current processor P.
knob() {
    n="${P#remoteproc}"
    if [ -d "$KNOBS/$P" ]; then
        f="$KNOBS/$P/$1"; v="$2"
    else
        f="$KNOBS/$1"
        v="$(awk -F, -v i="$n" -v x="$2" 'BEGIN { OFS = "," } { $(i + 1) = x; print }' "$f")"
    fi
    r="$("$IO" write "$f" "$v")"
    case "$r" in ok*) rec "knob $1=$2" ;; *) rec "knob $1=$2: $r"; FAILS=$((FAILS + 1)) ;; esac
}

# announced: waits for the remote's last channel announcement (every processor that announces
# channels ends with rpmsg-raw), so that the log lines that follow a start are complete.
announced() { waitlog "creating channel rpmsg-raw"; }

# begin: lets asynchronous probe work settle (auto-boot), drains the kernel log so the record
# starts clean. finish: prints the summary, exits.
begin() { sleep 0.3; "$IO" kmsg "$KMSG" "$STATE/kmsg" > /dev/null; rec "kernel $LINE"; }
finish() {
    klog
    rec "result: $FAILS failed checks"
    rm -rf "$STATE"
    [ "$FAILS" -gt 100 ] && FAILS=100
    exit "$FAILS"
}
