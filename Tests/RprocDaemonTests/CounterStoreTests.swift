import Foundation
import Testing
@testable import RprocDaemon
import RprocSystem

@Suite struct CounterStoreTests {
    func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "rprocd-counters-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func roundTripThroughTheStateDirectory() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = CounterStore(stateDirectory: directory)
        let key = CounterStore.key(name: "m4", parent: "30000000.m4")
        #expect(try store.load(key: key) == nil)
        var counters = ProcessorCounters()
        counters.boots = 3
        counters.crashes = 1
        counters.lastCrashMicroseconds = 1_764_000_000_000_000
        counters.lastCrashType = "fatal error"
        counters.lastError = "Boot failed: the kernel refused 'start' (EINVAL).\nsecond line"
        try store.save(counters, key: key)
        let loaded = try #require(try store.load(key: key))
        #expect(loaded.boots == 3)
        #expect(loaded.crashes == 1)
        #expect(loaded.lastCrashMicroseconds == counters.lastCrashMicroseconds)
        #expect(loaded.lastCrashType == "fatal error")
        #expect(loaded.lastError == "Boot failed: the kernel refused 'start' (EINVAL). second line")
        // Saving again replaces the file and leaves no temporary behind.
        counters.boots = 4
        try store.save(counters, key: key)
        #expect(try store.load(key: key)?.boots == 4)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory + "/processors")
        #expect(files == [key])
    }

    @Test func unknownKeysAndGarbageAreSkipped() {
        let counters = ProcessorCounters(serialized: "BootCount=7\nFuture=1\nnonsense\nCrashCount=x\n")
        #expect(counters.boots == 7)
        #expect(counters.crashes == 0)
    }

    @Test func keysEscapeWhatIsNotAFileName() {
        #expect(CounterStore.key(name: "m4", parent: "30000000.m4") == "m4@30000000.m4")
        #expect(CounterStore.key(name: "a/b c", parent: "") == "a\\x2fb\\x20c")
        #expect(CounterStore.key(name: "..", parent: "") == "\\x2e.")
        #expect(CounterStore.key(name: "", parent: "") == "\\x00")
    }

    @Test func unwritableDirectoryThrowsWithThePath() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A regular file where the directory should be.
        _ = FileManager.default.createFile(atPath: directory + "/processors", contents: Data())
        let store = CounterStore(stateDirectory: directory)
        #expect(throws: SystemError.self) { try store.save(ProcessorCounters(), key: "m4") }
    }
}
