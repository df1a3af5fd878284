# Every refused operation reachable from userspace, with its errno (kernel-contract.md §1.2, §1.3,
# §2.3, §5, §6.1, §6.4): keywords, sysfs_streq newline rules, firmware errors, read-only files,
# writes refused in running/detached states, the character device's exact-bytes rule.
. "$(dirname "$0")/lib.sh"
begin
rproc m4
rec "offline, power 0"
state stop; want EINVAL
state detach; want EINVAL
state bogus; want EINVAL
state "start\\n\\n"; want EINVAL
state "start "; want EINVAL
state " start"; want EINVAL
state "start\\r\\n"; want EINVAL
state Start; want EINVAL
state ""; want "ok 0"
wr "$SYS/recovery" bogus; want EINVAL
wr "$SYS/recovery" "disabled\\n\\n"; want EINVAL
wr "$SYS/coredump" default; want EINVAL
wr "$SYS/coredump" "inline "; want EINVAL
wr "$SYS/firmware" "\\n"; want EINVAL
wr "$SYS/firmware" "\\nsample.elf"; want EINVAL
wr "$SYS/name" "x"; want EACCES
rec "debugfs parsing"
wr "$DBG/crash" watchdog; want EINVAL
wr "$DBG/crash" 99999999999; want ERANGE
wr "$DBG/recovery" "e\\n"; want EINVAL
wr "$DBG/recovery" d; want "ok 1"
rd "$SYS/recovery"; want "disabled\\n"
wr "$DBG/recovery" "enabled\\n"; want "ok 8"
wr "$DBG/coredump" i; want "ok 1"
rd "$SYS/coredump"; want "inline\\n"
wr "$DBG/coredump" default; want EINVAL
wr "$DBG/coredump" disabled; want "ok 8"
wr "$DBG/name" x; want EINVAL
klog
rec "firmware errors"
wr "$SYS/firmware" "missing.elf"; want "ok 11"
state start; want ENOENT
st; want "offline\\n"
klog
wr "$SYS/firmware" "sample-no-rsc.elf"; want "ok 17"
state start; want EINVAL
klog
wr "$SYS/firmware" "../sample.elf"; want "ok 13"
state start; want EINVAL
klog
wr "$SYS/firmware" "/sample.elf"; want "ok 11"
state "start\\0xyz"; want "ok 9"
st; want "running\\n"
announced; want ok
klog
rec "running"
wr "$SYS/firmware" "sample.elf"; want EBUSY
rd "$SYS/firmware"; want "/sample.elf\\n"
state detach; want EINVAL
state bogus; want EINVAL
wr "$SYS/coredump" enabled; want "ok 7"
wr "$SYS/coredump" disabled; want "ok 8"
state stop; want "ok 4"
klog
rec "character device: exact bytes, prefixes"
dev="dev/$P"
wr "$dev" "start\\n"; want EINVAL
wr "$dev" "sta"; want "ok 3"
st; want "running\\n"
announced; want ok
wr "$dev" "sto"; want "ok 3"
st; want "offline\\n"
wr "$dev" "stop"; want EINVAL
klog
rproc bootcore
rec "detached"
wr "$SYS/firmware" "sample.elf"; want EBUSY
state stop; want EINVAL
state detach; want EINVAL
klog
rproc ro-core
rec "read-only"
for f in state firmware recovery coredump name; do wr "$SYS/$f" "x"; want EACCES; done
rd "$DBG/recovery"; want "enabled\\n"
finish
