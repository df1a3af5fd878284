import Testing
@testable import RprocJSON
