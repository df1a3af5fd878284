#!/bin/busybox sh
# /init of the kernel tier's initramfs (Tests/Kernel/build-initramfs). Kernel command line:
#   scenarios=a,b,c   run these scenarios (/scenarios/<name>.sh ROOT KNOBS), their records on /dev/ttyS1
#                     between "=== BEGIN <name>" and "=== END <name> <exit status>", then power off
#   shell=1           an interactive shell on the console instead (leave it with `exit` or ctrl-a x)
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s /bin
export PATH=/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
KNOBS=/sys/module/rproc_sim/parameters
if [ "${shell:-0}" = 1 ]; then
    echo "rproc-sim guest: scenarios in /scenarios (sh /scenarios/NAME.sh / $KNOBS), rproc-io in /bin"
    setsid cttyhack sh -l
    reboot -f
fi
out=/dev/ttyS1
echo "=== BOOT $(cut -d' ' -f1 /proc/uptime)" > $out   # seconds from the kernel's start to here
for name in $(echo "${scenarios:-}" | tr , ' '); do
    echo "=== BEGIN $name" > $out
    sh /scenarios/$name.sh / $KNOBS > $out 2>&1
    echo "=== END $name $?" > $out
done
echo "=== DONE" > $out
reboot -f
