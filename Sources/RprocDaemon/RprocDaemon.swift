// Module RprocDaemon: see docs/ARCHITECTURE.md.
