# The rpmsg channels appear only when the remote announces them: with announce_delay_ms the
# processor is running (and the rpmsg host online) well before its channels exist.
. "$(dirname "$0")/lib.sh"
begin
rproc m4
wr "$SYS/firmware" sample.elf; want "ok 10"
knob announce_delay_ms 700
state start; want "ok 5"
st; want "running\\n"
lsd sys/bus/rpmsg/devices; want "virtio0.rpmsg_ctrl.0.0 virtio0.rpmsg_ns.53.53"
klog
announced; want ok
lsd sys/bus/rpmsg/devices; want "virtio0.rpmsg-raw.-1.1025 virtio0.rpmsg-tty.-1.1024 virtio0.rpmsg_ctrl.0.0 virtio0.rpmsg_ns.53.53"
klog
rec "a stop before the announcement: no channel ever appears"
state stop; want "ok 4"
state start; want "ok 5"
state stop; want "ok 4"
sleep 1
lsd sys/bus/rpmsg/devices; want ""
klog
knob announce_delay_ms 5
finish
