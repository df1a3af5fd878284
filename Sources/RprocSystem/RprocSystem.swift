// Module RprocSystem: see docs/ARCHITECTURE.md.
