import Testing
@testable import VirtualBoard
