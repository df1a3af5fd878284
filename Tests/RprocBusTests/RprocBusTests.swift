import Testing
@testable import RprocBus
