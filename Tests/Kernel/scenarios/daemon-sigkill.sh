# rprocd killed with SIGKILL while processors run, then started again: it re-adopts them as the
# kernel shows them (m4 running, bootcore attached) and writes nothing. No extra 'start' took a
# power reference: one stop takes each offline. The restarted rprocd keeps the counters from its
# state directory and owns recovery again (a crash is recovered by the new process).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-daemon.sh"
begin
policy m4 "[Match];Name=m4;[Firmware];File=sample.elf;[Recovery];Owner=rprocd;Restart=on-crash;RestartSec=0"
daemon_start
rproc m4
ctl start m4 --firmware sample.elf; want "exit 0"
settled
ctl attach bootcore; want "exit 0"
settled
kfile recovery; want disabled
daemon_stop KILL; want "exit 137"
rec "rprocd is gone: the processors run on"
kstate; want running
kfile recovery; want disabled
daemon_start
ctl list --no-legend
listed m4; want "remoteproc0 running"
listed bootcore; want "remoteproc2 attached"
prop m4 Job; want idle
prop m4 BootCount; want 1
prop bootcore State; want attached
rec "the new rprocd wrote nothing to the kernel"
count_log "remoteproc"; want 0
kstate; want running
kfile recovery; want disabled
rec "one stop each takes them offline: the power count was not raised"
ctl stop m4; want "exit 0"; has "offline"
kstate; want offline
ctl stop bootcore; want "exit 0"; has "offline"
rproc bootcore
kstate; want offline
rproc m4
rec "the new rprocd owns recovery: a crash is recovered by it"
ctl start m4; want "exit 0"
settled
wr "$DBG/crash" 1; want "ok 1"
wait_prop m4 RestartCount 1; want ok
wait_prop m4 State running; want ok
settled "recovering m4"; want 1
prop m4 CrashCount; want 1
ctl stop m4; want "exit 0"
kstate; want offline
dfinish
