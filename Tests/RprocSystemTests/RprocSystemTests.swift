import Testing
@testable import RprocSystem
