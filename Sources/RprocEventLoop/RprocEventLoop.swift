// Module RprocEventLoop: see docs/ARCHITECTURE.md.
