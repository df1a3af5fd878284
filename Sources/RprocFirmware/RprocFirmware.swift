// Module RprocFirmware: see docs/ARCHITECTURE.md.
