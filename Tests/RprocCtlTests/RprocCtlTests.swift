import Testing
@testable import RprocCtl
