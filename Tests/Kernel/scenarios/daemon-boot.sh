# Boot, stop and restart of the sample firmware (a carveout per vring, a trace, an rpmsg vdev)
# through rprocctl: each job waits for the kernel and reports the state it settled in; the kernel's
# own files and log agree. [Firmware] File= is what AutoStart=yes boots (r5f); a plain
# `rprocctl start` boots the kernel's `firmware` (m4.elf here, missing: FirmwareNotFound), so m4
# gets its firmware from `start --firmware`. The remote's trace line (no newline) reaches
# `rprocctl logs` once two of rprocd's polls read it unchanged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-daemon.sh"
begin
policy m4 "[Match];Name=m4;[Firmware];File=sample.elf;[Boot];AutoStart=no"
policy r5f "[Match];Name=r5f;[Firmware];File=sample.elf;[Boot];AutoStart=yes"
daemon_start
rproc r5f
wait_prop r5f State running; want ok
settled "Booting fw image sample.elf"; want 1
kfile firmware; want sample.elf
rproc m4
ctl start m4
want "exit 6"
has "Firmware 'm4.elf' is not in the kernel's search path"
kstate; want offline
ctl start m4 --firmware sample.elf
want "exit 0"
has "success running"
kstate; want running
kfile firmware; want sample.elf
settled "Booting fw image sample.elf"; want 1
prop m4 State; want running
prop m4 BootCount; want 1
wait_ctl "m4: hello from the simulated remote" 30 logs m4 -n 5; want ok
ctl stop m4
want "exit 0"
has "success offline"
kstate; want offline
count_log "stopped remote processor m4"; want 1
ctl restart m4
want "exit 0"
kstate; want running
settled "Booting fw image"; want 1
rec "restart of a running processor: one stop, one boot"
ctl restart m4
want "exit 0"
kstate; want running
settled "stopped remote processor m4"; want 1
prop m4 BootCount; want 3
ctl status m4; has "Boots: 3"
ctl stop m4 --json=short
want "exit 0"
has '"operation":"stop","result":"success","state":"offline"'
rec "start with another firmware: rprocd sets it first"
ctl start m4 --firmware fallback.elf
want "exit 0"
kfile firmware; want fallback.elf
settled "Booting fw image fallback.elf"; want 1
ctl stop m4
want "exit 0"
ctl set-firmware m4 sample.elf
want "exit 0"
kfile firmware; want sample.elf
ctl stop r5f; want "exit 0"
dfinish
