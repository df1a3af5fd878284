# Boot, stop and restart of the sample firmware (carveouts for the vrings, a trace, an rpmsg vdev):
# the virtio/rpmsg children, the trace text, the announced channel and an echo through /dev/rpmsg0.
. "$(dirname "$0")/lib.sh"
begin
rproc m4
wr "$SYS/firmware" "sample.elf\\n"; want "ok 11"
rd "$SYS/firmware"; want "sample.elf\\n"
state start; want "ok 5"
st; want "running\\n"
lsd "$SYS"
lsd "$DBG"
rd "$DBG/trace0"; want "m4: hello from the simulated remote"
appear sys/bus/rpmsg/devices/virtio0.rpmsg-raw.-1.1025; want ok
lsd sys/bus/rpmsg/devices
lsd "$SYS/rproc-virtio.0.auto/virtio0"
rd sys/bus/rpmsg/devices/virtio0.rpmsg-raw.-1.1025/name; want "rpmsg-raw\\n"
rd sys/bus/rpmsg/devices/virtio0.rpmsg-raw.-1.1025/dst; want "0x401\\n"
rd sys/bus/rpmsg/devices/virtio0.rpmsg-tty.-1.1024/name; want "rpmsg-tty\\n"
appear dev/rpmsg0; want ok
R="$("$IO" echo "$ROOT/dev/rpmsg0" "hello remote")"; rec "echo dev/rpmsg0: $R"; want "ok hello remote"
klog
state stop; want "ok 4"
st; want "offline\\n"
lsd "$SYS"
lsd "$DBG"
lsd sys/bus/rpmsg/devices
klog
rec "restart"
state "start\\n"; want "ok 6"
st; want "running\\n"
rd "$DBG/trace0"; want "m4: hello from the simulated remote"
appear sys/bus/rpmsg/devices/virtio0.rpmsg-raw.-1.1025; want ok
appear dev/rpmsg0; want ok
R="$("$IO" echo "$ROOT/dev/rpmsg0" "again")"; rec "echo dev/rpmsg0: $R"; want "ok again"
lsd sys/bus/rpmsg/devices
klog
state "stop\\n"; want "ok 5"
st; want "offline\\n"
finish
