// Module SystemdIni: see docs/ARCHITECTURE.md.
