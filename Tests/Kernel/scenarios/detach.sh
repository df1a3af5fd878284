# The core a bootloader started (bootcore, registered detached): attach by start, detach, attach
# again, stop from attached (kernel-contract.md §2.3, §2.5).
. "$(dirname "$0")/lib.sh"
begin
rproc bootcore
st; want "detached\\n"
rd "$SYS/firmware"; want "rproc-bootcore-fw\\n"
state start; want "ok 5"
st; want "attached\\n"
rd "$SYS/firmware"; want "unknown\\n"
rd "$DBG/trace0"; want "bootcore: hello from the simulated remote"
lsd "$SYS"
appear sys/bus/rpmsg/devices/virtio0.rpmsg-raw.-1.1024; want ok
lsd sys/bus/rpmsg/devices
appear dev/rpmsg0; want ok
R="$("$IO" echo "$ROOT/dev/rpmsg0" "hello bootcore")"; rec "echo dev/rpmsg0: $R"; want "ok hello bootcore"
klog
wr "$SYS/firmware" sample.elf; want EBUSY
state start; want "ok 5"
state detach; want "ok 6"
st; want "attached\\n"
state detach; want "ok 6"
st; want "detached\\n"
lsd "$SYS"
lsd sys/bus/rpmsg/devices
klog
state "start\\n"; want "ok 6"
st; want "attached\\n"
announced; want ok
klog
rec "crash while attached: attach-on-recovery (detach, attach; no coredump)"
wr "$SYS/coredump" enabled; want "ok 7"
wr "$DBG/crash" 1; want "ok 1"
waitlog "recovering bootcore"; want ok
wait_state attached; want ok
waitlog "is now attached"; want ok
st; want "attached\\n"
lsd sys/class/devcoredump
lsd "$SYS"
lsd "$DBG"
appear sys/bus/rpmsg/devices/virtio0.rpmsg-raw.-1.1024; want ok
rd "$DBG/trace0"; want "bootcore: hello from the simulated remote"
klog
state stop; want "ok 4"
st; want "offline\\n"
rd "$SYS/firmware"; want "rproc-bootcore-fw\\n"
lsd "$SYS"
klog
rec "offline now: an ordinary boot of the sample firmware"
wr "$SYS/firmware" sample.elf; want "ok 10"
state start; want "ok 5"
st; want "running\\n"
announced; want ok
state detach; want EINVAL
state stop; want "ok 4"
st; want "offline\\n"
klog
finish
