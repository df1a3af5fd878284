import Glibc
import SystemPackage
import Testing

@testable import RprocSystem

@Suite struct SyscallHelperTests {
    /// A fake call that fails with each errno in turn, then returns 7.
    final class Script {
        var errnos: [CInt]
        var calls = 0
        init(_ errnos: [CInt]) { self.errnos = errnos }
        func call() -> CInt {
            calls += 1
            if errnos.isEmpty { return 7 }
            Glibc.errno = errnos.removeFirst()
            return -1
        }
    }

    @Test func retriesEINTR() throws {
        let script = Script([EINTR, EINTR])
        #expect(try syscall("read", path: "/x") { script.call() } == 7)
        #expect(script.calls == 3)
    }

    @Test func canBeToldNotToRetry() throws {
        let script = Script([EINTR])
        #expect(throws: SystemError(operation: "close", path: "/x", errno: .interrupted)) {
            try syscall("close", path: "/x", retryOnInterrupt: false) { script.call() }
        }
        #expect(script.calls == 1)
    }

    @Test func otherErrnosAreThrownWithTheirContext() throws {
        let script = Script([EBUSY])
        #expect(throws: SystemError(operation: "write", path: "/sys/x", errno: .resourceBusy)) {
            try syscall("write", path: "/sys/x") { script.call() }
        }
        var pointerCalls = 0
        #expect(throws: SystemError(operation: "resolve", path: "/y", errno: .noSuchFileOrDirectory)) {
            let _: UnsafeMutablePointer<CChar> = try syscallPointer("resolve", path: "/y") {
                pointerCalls += 1
                Glibc.errno = pointerCalls == 1 ? EINTR : ENOENT
                return nil
            }
        }
        #expect(pointerCalls == 2)
    }

    @Test func readWholeStopsAtTheLimit() throws {
        let tree = try FakeTree()
        let path = try tree.file("big", String(repeating: "x", count: 10_000))
        #expect(try SystemFileOperations().readWhole(path, chunkSize: 4096, limit: 5000).count == 5000)
    }

    @Test func errorDescriptionsNameWhatToDo() {
        let readOnly = ReadOnlyAttributeError(
            device: "remoteproc0", attribute: .state, value: "start", path: "/sys/…/state", permissions: 0o444,
            stateBefore: .offline)
        #expect(readOnly.description == "'remoteproc0/state' is read-only (mode 0444): the driver does not let userspace write 'start' to it.")
        let invalid = InvalidKernelWriteError(device: "remoteproc0", write: AttributeWrite(.firmware("a\nb")), problem: "the value contains a newline")
        #expect(invalid.description == "Cannot write 'a\nb' to 'remoteproc0/firmware': the value contains a newline.")
        let unknown = UnexpectedAttributeValueError(device: "remoteproc0", attribute: .coredump, value: "default")
        #expect(unknown.description == "'remoteproc0/coredump' reads 'default', which rprocd does not know.")
    }

    @Test func kernelWriteBytesAreTheValueAndOneNewline() {
        #expect(AttributeWrite(.start).bytes == Array("start\n".utf8))
        #expect(AttributeWrite(.recovery(.enable)).bytes == Array("enabled\n".utf8))
        #expect(AttributeWrite(.coredump(.disabled)).bytes == Array("disabled\n".utf8))
        #expect(AttributeWrite(.firmware("x")).problem == nil)
        #expect(AttributeWrite(.firmware(String(repeating: "a", count: 4094))).problem == nil)
        #expect(AttributeWrite(.firmware(String(repeating: "a", count: 4095))).problem != nil)
    }

    @Test func boardPaths() {
        let kernel = KernelFiles(root: "/mnt/board")
        #expect(kernel.root == "/mnt/board/")
        #expect(kernel.path("/sys/class") == "/mnt/board/sys/class")
        #expect(kernel.path("sys/class") == "/mnt/board/sys/class")
        #expect(kernel.boardPath("/mnt/board/sys/devices/x") == "/sys/devices/x")
        #expect(kernel.boardPath("/mnt/board") == "/")
        #expect(kernel.boardPath("/elsewhere") == "/elsewhere")
        #expect(KernelFiles(root: "/").boardPath("/sys/x") == "/sys/x")
        #expect(!kernel.isHostRoot)
        #expect(KernelFiles().isHostRoot)
    }
}
