// Module RprocModel: see docs/ARCHITECTURE.md.
//
// Pure: the standard library and SystemdIni only; no I/O, no clock (times are parameters, µs on
// CLOCK_REALTIME as UInt64).
@_exported import SystemdIni
