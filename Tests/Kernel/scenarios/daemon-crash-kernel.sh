# A crash with kernel-owned recovery ([Recovery] Owner=kernel): rprocd leaves recovery enabled
# (taking it back if it was disabled), the kernel recovers by itself, rprocd counts the crash and
# the recovery but never writes: RestartCount stays 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-daemon.sh"
begin
policy m4 "[Match];Name=m4;[Firmware];File=sample.elf;[Recovery];Owner=kernel;Restart=on-crash;[Coredump];Mode=on"
rproc m4
wr "$SYS/recovery" disabled; want "ok 8"
daemon_start
kfile recovery; want enabled
kfile coredump; want enabled
ctl start m4 --firmware sample.elf; want "exit 0"
settled
klog
wr "$DBG/crash" 1; want "ok 1"
waitlog "recovering m4"; want ok
settled
wait_state running; want ok
wait_prop m4 CrashCount 1; want ok
prop m4 LastCrashType; want watchdog
prop m4 RestartCount; want 0
prop m4 State; want running
prop m4 BootCount; want 2
ctl status m4; has "Crashes: 1 (last: watchdog"
rec "the kernel's dump is consumed and kept by rprocd too"
wait_ctl "watchdog" 30 coredump list m4 --no-legend; want ok
lsd sys/class/devcoredump; want disabled
rec "the simulated watchdog: a crash 1500 ms after a start, recovered by the kernel, counted"
ctl stop m4; want "exit 0"
knob crash_after_ms 1500
ctl start m4; want "exit 0"
knob crash_after_ms 0
waitlog "crash detected in m4: type watchdog" 10000; want ok
waitlog "recovering m4"; want ok
wait_state running; want ok
wait_prop m4 CrashCount 2; want ok
prop m4 LastCrashType; want watchdog
prop m4 RestartCount; want 0
dlog
R="$(grep -c "recover 'm4'" "$DLOG")"; rec "rprocd log lines recovering m4 itself: $R"; want 0
ctl stop m4; want "exit 0"
kstate; want offline
dfinish
