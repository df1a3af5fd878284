// Module KernelSim: see docs/ARCHITECTURE.md.
