# Coredumps (kernel-contract.md §3.5): enabled (the dump appears after the recovery), inline (the
# recovery waits until the dump is released), one pending dump per device, the EBUSY while crashed.
. "$(dirname "$0")/lib.sh"
begin
rproc m4
wr "$SYS/firmware" sample.elf; want "ok 10"
wr "$SYS/coredump" enabled; want "ok 7"
state start; want "ok 5"
announced; want ok
klog
rec "enabled"
wr "$DBG/crash" 1; want "ok 1"
appear sys/class/devcoredump/devcd1; want ok
announced; want ok
lsd sys/class/devcoredump
link sys/class/devcoredump/devcd1/failing_device; want "$P"
link "$SYS/devcoredump"; want devcd1
lsd "$SYS"
size sys/class/devcoredump/devcd1/data
R="$(head -c 4 "$ROOT/sys/class/devcoredump/devcd1/data" | od -An -c | tr -s ' ')"; rec "magic: $R"
klog
rec "a second crash while the dump is pending: no new dump"
wr "$DBG/crash" 1; want "ok 1"
announced; want ok
lsd sys/class/devcoredump
wr sys/class/devcoredump/devcd1/data 1; want "ok 1"
gone sys/class/devcoredump/devcd1; want ok
lsd sys/class/devcoredump
klog
rec "inline: recovery blocks until the dump is written to"
wr "$SYS/coredump" inline; want "ok 6"
wr "$DBG/crash" 1; want "ok 1"
appear sys/class/devcoredump/devcd2; want ok
st; want "offline\\n"
size sys/class/devcoredump/devcd2/data
st; want "offline\\n"
wr sys/class/devcoredump/devcd2/data 1; want "ok 1"
wait_state running; want ok
# The recovered remote announces its channels a moment after "is now up"; wait for them, or the
# next section's wait would match this late announcement and its own would race the stop.
announced; want ok
gone sys/class/devcoredump/devcd2; want ok
klog
rec "disabled: no dump"
wr "$SYS/coredump" disabled; want "ok 8"
wr "$DBG/crash" 1; want "ok 1"
announced; want ok
lsd sys/class/devcoredump
state stop; want "ok 4"
klog
finish
