// Module RprocCtl: see docs/ARCHITECTURE.md.
