import Foundation
import Testing

@testable import RprocSystem

@Suite struct AtomicFileTests {
    @Test func createsAndReplacesWithTheModeAndLeavesNoTemporaryFile() throws {
        let tree = try FakeTree()
        try tree.directory("state")
        let path = tree.path("state/counters.json")
        try AtomicFile.write(Array("{\"boots\":1}".utf8), to: path, permissions: 0o600)
        #expect(try tree.read("state/counters.json") == "{\"boots\":1}")
        let big = [UInt8](repeating: 0x41, count: 300_000)
        try AtomicFile.write(big, to: path, permissions: 0o640)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(big))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o640)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tree.path("state")) == ["counters.json"])
    }

    @Test func aReaderHoldingTheOldFileKeepsTheOldContent() throws {
        let tree = try FakeTree()
        let path = try tree.file("fw.elf", "old")
        let handle = try #require(FileHandle(forReadingAtPath: path))
        try AtomicFile.write(Array("new".utf8), to: path)
        #expect(try handle.readToEnd() == Data("old".utf8))
        #expect(try tree.read("fw.elf") == "new")
    }

    @Test func aMissingDirectoryIsASystemError() throws {
        let tree = try FakeTree()
        let error = try #require(throws: SystemError.self) {
            try AtomicFile.write([1], to: tree.path("missing/file"))
        }
        #expect(error.errno == .noSuchFileOrDirectory)
        #expect(error.operation == "create")
    }

    @Test func parentDirectory() {
        #expect(AtomicFile.parentDirectory(of: "/a/b") == "/a")
        #expect(AtomicFile.parentDirectory(of: "/a") == "/")
        #expect(AtomicFile.parentDirectory(of: "a") == ".")
    }
}
