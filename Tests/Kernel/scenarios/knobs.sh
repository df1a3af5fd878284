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
announced; want ok
knob fail_next_stop 1
state stop; want EIO
st; want "running\\n"
rec "the failed stop already stopped the subdevices: running without virtio/rpmsg"
lsd "$SYS"
lsd sys/bus/rpmsg/devices
klog
state stop; want "ok 4"
st; want "offline\\n"
rec "slow start and stop: no transitional state; a second writer waits for the lock"
knob start_delay_ms 600
"$IO" write "$ROOT/$SYS/state" start > "$STATE/bg" &
sleep 0.3
st; want "offline\\n"
state stop; want "ok 4"
wait
R="$(cat "$STATE/bg")"; rec "background start: $R"; want "ok 5"
st; want "offline\\n"
rec "a writer waiting for the lock, interrupted by a signal: state EINTR, firmware EINVAL"
"$IO" write "$ROOT/$SYS/state" start > "$STATE/bg" &
sleep 0.2
RPROC_IO_SIGUSR1=1 "$IO" write "$ROOT/$SYS/state" stop > "$STATE/bg2" &
pid2=$!
RPROC_IO_SIGUSR1=1 "$IO" write "$ROOT/$SYS/firmware" sample.elf > "$STATE/bg3" &
pid3=$!
sleep 0.2
kill -USR1 $pid2
sleep 0.1
kill -USR1 $pid3
wait
R="$(cat "$STATE/bg2")"; rec "interrupted stop: $R"; want EINTR
R="$(cat "$STATE/bg3")"; rec "interrupted firmware: $R"; want EINVAL
R="$(cat "$STATE/bg")"; rec "background start: $R"; want "ok 5"
st; want "running\\n"
announced; want ok
klog
state stop; want "ok 4"
knob start_delay_ms 0
state start; want "ok 5"
announced; want ok
klog
knob stop_delay_ms 600
"$IO" write "$ROOT/$SYS/state" stop > "$STATE/bg" &
sleep 0.3
st; want "running\\n"
lsd sys/bus/rpmsg/devices
wait
R="$(cat "$STATE/bg")"; rec "background stop: $R"; want "ok 4"
st; want "offline\\n"
knob stop_delay_ms 0
klog
finish
