# The hidden power refcount (kernel-contract.md §2.2, §9.1): a redundant start succeeds and makes
# the next stop a no-op that also succeeds.
. "$(dirname "$0")/lib.sh"
begin
rproc r5f
wr "$SYS/firmware" sample.elf; want "ok 10"
state start; want "ok 5"
announced; want ok
state start; want "ok 5"
st; want "running\\n"
state stop; want "ok 4"
st; want "running\\n"
lsd "$SYS"
state stop; want "ok 4"
st; want "offline\\n"
state stop; want EINVAL
klog
finish
