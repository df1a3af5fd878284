# The core a bootloader started (bootcore, registered detached): rprocd adopts it detached without
# touching it, attaches and detaches it through rprocctl, and stops it from attached. Its .rproc
# file makes rprocd watch it (the trace buffer; Owner=rprocd takes recovery, which writes nothing
# to `state`).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-daemon.sh"
begin
policy bootcore "[Match];Name=bootcore"
daemon_start
rproc bootcore
ctl status bootcore; has "State: detached"
count_log "bootcore"; want 0
ctl attach bootcore; want "exit 0"; has "success attached"
kstate; want attached
count_log "is now attached"; want 1
prop bootcore Firmware; want unknown
wait_ctl "bootcore: hello from the simulated remote" 30 logs bootcore -n 5; want ok
ctl detach bootcore; want "exit 0"; has "success detached"
kstate; want detached
count_log "detached remote processor bootcore"; want 1
prop bootcore State; want detached
rec "start attaches a detached processor"
ctl start bootcore; want "exit 0"; has "attached"
kstate; want attached
ctl detach bootcore; want "exit 0"
ctl attach bootcore; want "exit 0"
settled
ctl stop bootcore; want "exit 0"; has "offline"
kstate; want offline
kfile firmware; want rproc-bootcore-fw
count_log "stopped remote processor bootcore"; want 1
ctl attach bootcore; want "exit 1"; has "powered off"
dfinish
