# The start limit (StartLimitBurst= starts within StartLimitIntervalSec=, the user's start counted)
# and FallbackFirmware=: m4 crashes until the limit is hit, then rprocd boots fallback.elf once; on
# these NEW-flavour kernels that is stop (allowed while crashed), firmware, start. r5f has no
# fallback: at the limit it is failed (FailureAction=leave: it stays crashed), a start is refused
# until reset-failed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-daemon.sh"
begin
policy m4 "[Match];Name=m4;[Firmware];File=sample.elf;FallbackFirmware=fallback.elf;[Recovery];Owner=rprocd;Restart=on-crash;RestartSec=0;StartLimitBurst=3;StartLimitIntervalSec=10min"
policy r5f "[Match];Name=r5f;[Firmware];File=sample.elf;[Recovery];Owner=rprocd;Restart=on-crash;RestartSec=0;StartLimitBurst=2;StartLimitIntervalSec=10min"
daemon_start
# crash_and_wait NAME RESTARTS: a debugfs crash, then rprocd's recovery number RESTARTS.
crash_and_wait() {
    wr "$DBG/crash" 1; want "ok 1"
    wait_prop "$1" RestartCount "$2"; want ok
    wait_prop "$1" State running; want ok
    settled
}
rproc m4
ctl start m4 --firmware sample.elf; want "exit 0"
settled
crash_and_wait m4 1
crash_and_wait m4 2
rec "the third crash would be the fourth start in the window: the fallback firmware"
wr "$DBG/crash" 1; want "ok 1"
wait_prop m4 Result fallback; want ok
wait_prop m4 State running; want ok
settled "Booting fw image fallback.elf"; want 1
prop m4 Firmware; want fallback.elf
kfile firmware; want fallback.elf
kstate; want running
kfile recovery; want disabled
ctl status m4; has "Firmware: fallback.elf"; has "Result: fallback"
rproc r5f
ctl start r5f --firmware sample.elf; want "exit 0"
settled
crash_and_wait r5f 1
rec "r5f: the limit without a fallback: failed"
wr "$DBG/crash" 1; want "ok 1"
wait_prop r5f Job failed; want ok
prop r5f Result; want start-limit-hit
prop r5f State; want crashed
kstate; want crashed
ctl status r5f; has "Job: failed"
ctl start r5f; want "exit 1"; has "reset-failed"
kstate; want crashed
ctl reset-failed r5f; want "exit 0"
prop r5f Job; want idle
prop r5f RestartCount; want 0
ctl stop r5f; want "exit 0"; has "offline"
kstate; want offline
ctl start r5f; want "exit 0"; has "running"
settled
ctl stop r5f m4; want "exit 0"
dfinish
