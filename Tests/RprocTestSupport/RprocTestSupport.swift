// Shared test helpers: see docs/ARCHITECTURE.md.
