// libsystemd: sd-bus, sd-event, sd-daemon, sd-journal (Debian: libsystemd-dev).
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <systemd/sd-id128.h>
