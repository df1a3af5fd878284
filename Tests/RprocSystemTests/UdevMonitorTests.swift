import Foundation
import Testing

@testable import RprocSystem

@Suite struct UdevMonitorTests {
    @Test func aBoardRootIsUnavailableAsAValue() throws {
        let tree = try FakeTree()
        guard case .failure(let reason) = UdevMonitor.open(kernel: tree.kernel) else {
            Issue.record("a monitor opened for a board root")
            return
        }
        #expect(reason.description.contains("is not '/'"))
    }

    @Test(.enabled(if: !FileManager.default.fileExists(atPath: "/run/udev/control"), "udev runs here"))
    func withoutARunningUdevTheHostRootIsUnavailable() throws {
        guard case .failure(let reason) = UdevMonitor.open(kernel: KernelFiles(root: "/")) else {
            Issue.record("a monitor opened without udev")
            return
        }
        #expect(reason.reason.contains("/run/udev/control"))
    }

    @Test func aMonitorSocketIsNonBlockingAndEmpty() throws {
        let result = UdevMonitor.openMonitor(subsystems: UdevMonitor.defaultSubsystems)
        guard case .success(let monitor) = result else {
            // Netlink may be closed to this sandbox; that is the value the daemon gets too.
            print("udev monitor unavailable here, skipping the socket checks: \(result)")
            return
        }
        let fd = monitor.fileDescriptor.rawValue
        #expect(fd >= 0)
        #expect(fcntl(fd, F_GETFL) & O_NONBLOCK != 0)
        #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0)
        #expect(monitor.receive() == nil)
    }

    @Test func actionsRoundTripThroughTheirTable() {
        for (action, text) in UdevAction.table {
            #expect(UdevAction(kernelString: text) == action)
            #expect(action.kernelString == text)
        }
        #expect(UdevAction(kernelString: "explode") == .unrecognized("explode"))
        #expect(UdevAction.unrecognized("explode").kernelString == "explode")
        #expect(Set(UdevAction.table.map(\.1)).count == UdevAction.table.count)
    }
}
