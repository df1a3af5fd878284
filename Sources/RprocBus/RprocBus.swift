// Module RprocBus: see docs/ARCHITECTURE.md.
