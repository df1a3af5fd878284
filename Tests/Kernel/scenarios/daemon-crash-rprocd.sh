# A crash with rprocd-owned recovery ([Recovery] Owner=rprocd): adoption sets the kernel's recovery
# to disabled and coredump to enabled, so the crash stays visible as crashed; rprocd recovers it
# after RestartSec= through recovery <- recover (the kernel's own recovery path, which takes the
# dump), keeps the coredump (`rprocctl coredump list/info/dump`) and hands recovery back at SIGTERM.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-daemon.sh"
begin
policy m4 "[Match];Name=m4;[Firmware];File=sample.elf;[Recovery];Owner=rprocd;Restart=on-crash;RestartSec=3s;StartLimitBurst=5;StartLimitIntervalSec=1min;[Coredump];Mode=on"
rproc m4
daemon_start
kfile recovery; want disabled
kfile coredump; want enabled
ctl start m4 --firmware sample.elf; want "exit 0"
settled
klog
rec "crash (debugfs, watchdog): crashed until rprocd's restart timer fires"
wr "$DBG/crash" 1; want "ok 1"
wait_state crashed; want ok
wait_prop m4 State crashed; want ok
wait_prop m4 CrashCount 1; want ok
prop m4 LastCrashType; want watchdog
prop m4 NextRestartUSec
[ "$R" != 0 ] || { rec "FAIL: expected a restart scheduled"; FAILS=$((FAILS + 1)); }
ctl status m4; has "Next restart"
kstate; want crashed
wait_prop m4 State running 60; want ok
kstate; want running
kfile recovery; want disabled
prop m4 RestartCount; want 1
prop m4 Result
settled "recovering m4"; want 1
wait_ctl "watchdog" 30 coredump list m4 --no-legend; want ok
R="$(printf '%s\n' "$OUT" | wc -l)"; rec "coredumps listed: $R"; want 1
id="$(printf '%s\n' "$OUT" | awk '{ print $NF }')"
ctl coredump info "$id"; want "exit 0"; has "watchdog"; has "sample.elf"
ctl coredump dump "$id" -o /tmp/m4.core; want "exit 0"
R="$(head -c 4 /tmp/m4.core | od -An -c | tr -s ' ')"; rec "dump magic: $R"; want " 177 E L F"
R="$(wc -c < /tmp/m4.core)"; rec "dump size: $R"; want 4448
lsd sys/class/devcoredump; want disabled
ls "$DSTATE/coredumps/m4" | sed 's/^/  stored: /'
rec "a second crash: counted, recovered, another dump"
wr "$DBG/crash" 0; want "ok 1"
wait_prop m4 CrashCount 2 60; want ok
prop m4 LastCrashType; want mmufault
wait_prop m4 RestartCount 2 60; want ok
wait_prop m4 State running; want ok
wait_ctl "mmufault" 30 coredump list m4 --no-legend; want ok
settled
ctl stop m4; want "exit 0"
daemon_stop TERM; want "exit 0"
kfile recovery; want enabled
kfile coredump; want enabled
dfinish
