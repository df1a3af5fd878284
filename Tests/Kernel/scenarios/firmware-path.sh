# firmware_class.path (kernel-contract.md §6.1): an extra search directory, tried before
# /lib/firmware; 6.1 keeps a trailing newline written into it (the directory "…\n" does not exist),
# 6.12 strips it. The guest has alt.elf only in /lib/firmware/alt.
. "$(dirname "$0")/lib.sh"
begin
param=sys/module/firmware_class/parameters/path
rproc m4
rd "$param"; want "\\n"
wr "$SYS/firmware" alt.elf; want "ok 7"
state start; want ENOENT
klog
wr "$param" "/lib/firmware/alt\\n"; want "ok 18"
rd "$param"
state start
case "$LINE" in
    6.1) want ENOENT; rec "6.1: the newline stays part of the directory" ;;
    *) want "ok 5"; announced; want ok; state stop; want "ok 4" ;;
esac
klog
wr "$param" "/lib/firmware/alt"; want "ok 17"
rd "$param"; want "/lib/firmware/alt\\n"
state start; want "ok 5"
st; want "running\\n"
announced; want ok
state stop; want "ok 4"
klog
wr "$param" ""; want "ok 0"
wr "$param" "\\n"; want "ok 1"
rd "$param"
state start; want ENOENT
klog
finish
