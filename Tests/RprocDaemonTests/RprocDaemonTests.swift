import Testing
@testable import RprocDaemon
