# rprocd discovers the guest's processors as the kernel shows them and writes nothing doing so:
# `rprocctl list` (table and JSON) and `rprocctl status` against the kernel's own state files.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-daemon.sh"
begin
daemon_start
ctl list
want "exit 0"
for name in m4 r5f bootcore ro-core slow broken auto; do
    rproc "$name"
    kstate
    case "$name" in bootcore) want detached ;; *) want offline ;; esac
    state="$R"
    listed "$name"; want "$P $state"
done
ctl list --no-legend
R="$(printf '%s\n' "$OUT" | wc -l)"; rec "processors listed: $R"; want 7
ctl list --json=short
has '{"device":"remoteproc2","name":"bootcore","state":"detached","objectPath":"/org/daybreak/RemoteProc1/processor/remoteproc2"}'
ctl status bootcore
want "exit 3"
has "State: detached"
has "Firmware: rproc-bootcore-fw"
ctl status ro-core
has "Read-only: yes"
ctl show m4 -p Recovery,Coredump,Firmware,Job
has "Recovery=enabled"
has "Firmware=m4.elf"
has "Job=idle"
ctl status nosuch
want "exit 4"
ctl show nosuch
want "exit 5"
rec "no processor file: rprocd wrote nothing (no kernel log line, every state as before)"
count_log "remoteproc"
want 0
for name in m4 bootcore; do rproc "$name"; kfile recovery; want enabled; done
dfinish
