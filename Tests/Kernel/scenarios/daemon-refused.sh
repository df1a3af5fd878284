# Every refused operation as rprocctl reports it: the exit code (docs/dbus-api.md, Errors), the
# message, and the kernel's errno where the kernel refused. Refusals rprocd decides itself write
# nothing to the kernel (no log line, state unchanged).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-daemon.sh"
begin
policy m4 "[Match];Name=m4;[Firmware];File=sample.elf"
policy broken "[Match];Name=broken;[Firmware];File=sample.elf"
daemon_start
rproc m4
ctl start m4 --firmware sample.elf; want "exit 0"
settled
klog
rec "refused by rprocd: nothing reaches the kernel"
ctl start m4 --firmware fallback.elf; want "exit 1"; has "already up"
ctl attach m4; want "exit 1"; has "already manages it"
ctl detach m4; want "exit 1"; has "booted by the kernel"
ctl recover m4; want "exit 1"; has "has not crashed"
ctl set-firmware m4 fallback.elf; want "exit 1"; has "EBUSY"
rec "start while running: nothing to do (a 'start' write would only take a power reference)"
ctl start m4; want "exit 0"
kstate; want running
count_log "remoteproc0"; want 0
ctl stop m4; want "exit 0"
klog
ctl stop m4; want "exit 7"; has "not running"
ctl recover m4; want "exit 7"
ctl detach m4; want "exit 7"
ctl attach m4; want "exit 1"; has "powered off"
rproc bootcore
ctl stop bootcore; want "exit 1"; has "attach' it first"
ctl start bootcore --firmware sample.elf; want "exit 1"; has "detached processor runs its own firmware"
kstate; want detached
rec "bad firmware names"
ctl start m4 --firmware missing.elf; want "exit 6"; has "missing.elf"
ctl start m4 --firmware ../etc/passwd; want "exit 2"
ctl start m4 --firmware sample-no-rsc.elf; want "exit 1"
ctl start nosuch; want "exit 5"; has "nosuch"
rproc m4
kstate; want offline
kfile firmware; want sample.elf
count_log "remoteproc0"; want 0
rec "refused by the kernel: the errno in the message"
rproc broken
ctl start broken --firmware sample.elf; want "exit 1"; has "EIO"
kstate; want offline
count_log "can't start rproc broken: -5"; want 1
prop broken LastError
case "$R" in *EIO*|*"Input/output"*) ;; *) rec "FAIL: expected LastError to name EIO"; FAILS=$((FAILS + 1)) ;; esac
prop broken Result; want kernel-refused
rproc m4
knob fail_next_stop 1
ctl start m4; want "exit 0"
settled
ctl stop m4; want "exit 1"; has "EIO"
kstate; want running
prop m4 State; want running
ctl stop m4; want "exit 0"
kstate; want offline
rproc ro-core
ctl start ro-core; want "exit 4"
ctl set-firmware ro-core sample.elf; want "exit 4"
kstate; want offline
klog
dfinish
