# Crashes injected through debugfs and by the simulated watchdog, with recovery enabled (the kernel
# recovers on its own) and disabled (crashed until recover, or stop on NEW kernels)
# (kernel-contract.md §3.1-§3.3).
. "$(dirname "$0")/lib.sh"
begin
rproc m4
wr "$SYS/firmware" sample.elf; want "ok 10"
state start; want "ok 5"
appear sys/bus/rpmsg/devices/virtio0.rpmsg-raw.-1.1025; want ok
klog
rec "recovery enabled: debugfs crash"
wr "$DBG/crash" 1; want "ok 1"
announced; want ok
wait_state running; want ok
appear sys/bus/rpmsg/devices/virtio0.rpmsg-raw.-1.1025; want ok
rd "$DBG/trace0"; want "m4: hello from the simulated remote"
klog
rec "recovery enabled: simulated watchdog"
state stop; want "ok 4"
knob crash_after_ms 300
state start; want "ok 5"
knob crash_after_ms 0
waitlog "recovering m4"; want ok
wait_state running; want ok
announced; want ok
klog
rec "recovery disabled: crashed, refused writes, recover"
wr "$SYS/recovery" disabled; want "ok 8"
wr "$DBG/crash" 2; want "ok 1"
wait_state crashed; want ok
waitlog "handling crash"; want ok
klog
lsd "$SYS"
lsd sys/bus/rpmsg/devices
R="$("$IO" echo "$ROOT/dev/rpmsg0" "anyone there")"; rec "echo dev/rpmsg0: $R"; want "read timeout"
wr "$SYS/coredump" enabled; want EBUSY
wr "$SYS/coredump" bogus; want EBUSY
wr "$SYS/firmware" sample.elf; want EBUSY
state detach; want EINVAL
wr "$DBG/crash" "0\\n"; want "ok 2"
waitlog "crash detected in m4: type mmufault"; want ok
st; want "crashed\\n"
klog
wr "$SYS/recovery" recover; want "ok 7"
st; want "running\\n"
rd "$SYS/recovery"; want "disabled\\n"
announced; want ok
klog
rec "recovery disabled: stop while crashed (NEW flavour: allowed)"
wr "$DBG/crash" 1; want "ok 1"
wait_state crashed; want ok
state start; want "ok 5"
st; want "crashed\\n"
state stop; want "ok 4"
st; want "crashed\\n"
state stop; want "ok 4"
st; want "offline\\n"
lsd "$SYS"
lsd sys/bus/rpmsg/devices
klog
rec "recovery enabled by writing enabled while crashed"
state start; want "ok 5"
announced; want ok
klog
wr "$DBG/crash" 1; want "ok 1"
wait_state crashed; want ok
wr "$SYS/recovery" enabled; want "ok 7"
st; want "running\\n"
announced; want ok
klog
rec "a crash of an offline processor is only logged"
state stop; want "ok 4"
wr "$DBG/crash" 1; want "ok 1"
waitlog "crash detected in m4"; want ok
st; want "offline\\n"
klog
finish
