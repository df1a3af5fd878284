import Testing
@testable import RprocFirmware
