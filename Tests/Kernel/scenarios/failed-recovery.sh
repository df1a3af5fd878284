# A recovery whose start fails (fail_next_start during recovery) leaves the processor offline with
# power 1: start returns success and does nothing, stop is EINVAL (kernel-contract.md §3.2, §9.5).
. "$(dirname "$0")/lib.sh"
begin
rproc m4
wr "$SYS/firmware" sample.elf; want "ok 10"
state start; want "ok 5"
announced; want ok
klog
knob fail_next_start 1
wr "$DBG/crash" 1; want "ok 1"
waitlog "can't start rproc m4"; want ok
st; want "offline\\n"
klog
lsd "$SYS"
lsd "$DBG"
state start; want "ok 5"
st; want "offline\\n"
state stop; want EINVAL
wr "$SYS/firmware" other.elf; want "ok 9"
wr "$SYS/recovery" recover; want "ok 7"
st; want "offline\\n"
klog
finish
