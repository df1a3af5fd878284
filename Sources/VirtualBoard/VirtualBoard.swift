// Module VirtualBoard: see docs/ARCHITECTURE.md.
