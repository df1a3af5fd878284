// Module KernelSim: see docs/ARCHITECTURE.md.
//
// Files:
//   Seam.swift       the protocol the FUSE adapter drives (plus the extensions in SeamExtensions.swift)
//   Board.swift      BoardDescription / ProcessorDescription: the board the model simulates
//   Kernel.swift     the model: `Kernel`, one instance per board
