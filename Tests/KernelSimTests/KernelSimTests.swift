import Testing
@testable import KernelSim
