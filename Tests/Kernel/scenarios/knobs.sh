# The simulated driver's fault knobs: fail_next_start / fail_next_stop give -EIO from ops->start /
# ops->stop; a failed stop leaves the processor running with its power back.
. "$(dirname "$0")/lib.sh"
begin
rproc m4
wr "$SYS/firmware" sample.elf; want "ok 10"
knob fail_next_start 1
state start; want EIO
st; want "offline\\n"
lsd "$DBG"
klog
state start; want "ok 5"
st; want "running\\n"
knob fail_next_stop 1
state stop; want EIO
st; want "running\\n"
rec "the failed stop already stopped the subdevices: running without virtio/rpmsg"
lsd "$SYS"
lsd sys/bus/rpmsg/devices
klog
state stop; want "ok 4"
st; want "offline\\n"
knob start_delay_ms 200
state start; want "ok 5"
st; want "running\\n"
knob start_delay_ms 0
state stop; want "ok 4"
klog
finish
