# The rpmsg channels in rprocd's Channels property: none while the remote has not announced them
# (announce_delay_ms 4000 keeps them back after the start), both once it has, with their
# addresses; gone after the stop. rprocd sees them through the kernel log and its poll (no udev).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-daemon.sh"
begin
policy m4 "[Match];Name=m4;[Firmware];File=sample.elf"
daemon_start
rproc m4
knob announce_delay_ms 4000
ctl start m4 --firmware sample.elf; want "exit 0"
ctl status m4; has "Channels: none"
lsd sys/bus/rpmsg/devices
wait_ctl "rpmsg-raw" 30 status m4; want ok
has "rpmsg-tty"
has "dst 0x401"
has "dst 0x400"
ctl show m4 -p Channels --json=short
has '"name":"rpmsg-raw"'
lsd sys/bus/rpmsg/devices
appear dev/rpmsg0; want ok
R="$("$IO" echo "$ROOT/dev/rpmsg0" "hello remote")"; rec "echo dev/rpmsg0: $R"; want "ok hello remote"
klog
ctl stop m4; want "exit 0"
wait_ctl "Channels: none" 30 status m4; want ok
knob announce_delay_ms 5
rec "without delay: the channels are there as soon as rprocd looks after the start"
ctl start m4; want "exit 0"
settled
wait_ctl "rpmsg-raw" 30 status m4; want ok
ctl stop m4; want "exit 0"
dfinish
