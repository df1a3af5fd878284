import Testing
@testable import RprocModel
