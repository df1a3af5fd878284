# Discovery: the processors, their files and initial values, as a freshly booted board shows them.
. "$(dirname "$0")/lib.sh"
begin
lsd sys/class/remoteproc
for name in m4 r5f bootcore ro-core slow broken auto; do
    rproc "$name"
    link "sys/class/remoteproc/$P/device"
    lsd "$SYS"
    lsd "$DBG"
    rd "$SYS/name"; want "$name\\n"
    rd "$SYS/firmware"
    case "$name" in bootcore) want "rproc-bootcore-fw\\n" ;; ro-core) want "ro.elf\\n" ;; *) want "$name.elf\\n" ;; esac
    rd "$SYS/recovery"; want "enabled\\n"
    rd "$SYS/coredump"; want "disabled\\n"
    rd "$SYS/state"
    case "$name" in bootcore) want "detached\\n" ;; *) want "offline\\n" ;; esac
    rd "$SYS/uevent"
    rd "$DBG/name"
    rd "$DBG/recovery"
    rd "$DBG/coredump"
    for f in name firmware state recovery coredump; do
        mode "$SYS/$f"
        case "$name/$f" in ro-core/*|*/name) want 444 ;; *) want 644 ;; esac
    done
done
lsd sys/bus/rpmsg/devices
lsd sys/class/devcoredump
finish
