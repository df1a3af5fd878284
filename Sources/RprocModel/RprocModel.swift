// Module RprocModel: see docs/ARCHITECTURE.md.
