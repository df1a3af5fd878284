// Module RprocJSON: see docs/ARCHITECTURE.md.
