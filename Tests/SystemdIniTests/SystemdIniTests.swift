import Testing
@testable import SystemdIni
