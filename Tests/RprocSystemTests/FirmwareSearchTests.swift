import Foundation
import Testing

@testable import RprocSystem

@Suite struct FirmwareSearchTests {
    let tree: FakeTree

    init() throws {
        tree = try FakeTree()
        try tree.file("proc/sys/kernel/osrelease", "6.1.0-rpi7\n")
    }

    @Test func theKernelsOrderUnderTheRoot() throws {
        try tree.file("sys/module/firmware_class/parameters/path", "/opt/fw\n")
        let search = tree.kernel.firmwareSearchPath()
        #expect(search.release == "6.1.0-rpi7")
        #expect(search.directories.map(\.path) == [
            "/opt/fw", "/lib/firmware/updates/6.1.0-rpi7", "/lib/firmware/updates", "/lib/firmware/6.1.0-rpi7",
            "/lib/firmware",
        ])
        #expect(search.directories.map(\.origin) == [.classPath, .updatesForRelease, .updates, .forRelease, .base])
        #expect(search.notes.isEmpty)
    }

    @Test func anEmptyClassPathIsSkipped() throws {
        try tree.file("sys/module/firmware_class/parameters/path", "\n")
        #expect(tree.kernel.firmwareSearchPath().directories.first?.path == "/lib/firmware/updates/6.1.0-rpi7")
    }

    @Test func the61TrailingNewlineIsKeptLiterallyAndReported() throws {
        // `echo /opt/fw > …/path` on 6.1 stores "/opt/fw\n"; the show function adds another newline.
        try tree.file("sys/module/firmware_class/parameters/path", "/opt/fw\n\n")
        try tree.file("opt/fw/app.elf", "ELF")
        let search = tree.kernel.firmwareSearchPath()
        #expect(search.directories.first == .init(path: "/opt/fw\n", origin: .classPath))
        #expect(search.notes.count == 1)
        #expect(search.notes[0].contains("newline"))
        let lookup = try tree.kernel.lookUpFirmware("app.elf", in: search)
        #expect(lookup.found == nil)
        #expect(lookup.candidates.first?.path == "/opt/fw\n/app.elf")
        #expect(lookup.candidates.first?.outcome == .missing)
    }

    @Test func withoutAReleaseTheReleaseDirectoriesAreLeftOutAndSaid() throws {
        try tree.remove("proc/sys/kernel/osrelease")
        let search = tree.kernel.firmwareSearchPath()
        #expect(search.release == nil)
        #expect(search.directories.map(\.path) == ["/lib/firmware/updates", "/lib/firmware"])
        #expect(search.notes.contains { $0.contains("release") })
    }

    @Test func theHostRootUsesUname() {
        let release = KernelFiles(root: "/").kernelRelease()
        #expect(release?.isEmpty == false)
        let text = try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8)
        if let text { #expect(release == text.trimmingCharacters(in: .newlines)) }
    }

    @Test func theFirstNonEmptyRegularFileWinsAndEveryPlaceIsReported() throws {
        try tree.file("lib/firmware/updates/6.1.0-rpi7/app.elf", "")  // empty: skipped
        try tree.directory("lib/firmware/updates/app.elf")  // a directory: skipped
        try tree.file("lib/firmware/6.1.0-rpi7/app.elf", "good")
        try tree.file("lib/firmware/app.elf", "older")
        let lookup = try tree.kernel.lookUpFirmware("app.elf")
        #expect(lookup.candidates.map(\.outcome) == [.empty, .notRegular, .found(size: 4)])
        #expect(lookup.placesLooked == [
            "/lib/firmware/updates/6.1.0-rpi7/app.elf", "/lib/firmware/updates/app.elf",
            "/lib/firmware/6.1.0-rpi7/app.elf",
        ])
        let found = try #require(lookup.found)
        #expect(found.absolutePath == tree.path("lib/firmware/6.1.0-rpi7/app.elf"))
        #expect(try tree.kernel.readFirmware(found) == Array("good".utf8))
        let mapped = try tree.kernel.mapFirmware(found)
        #expect(mapped.count == 4)
        #expect(mapped.bytes == Array("good".utf8))
    }

    @Test func aMissingFirmwareListsAllFivePlaces() throws {
        try tree.file("sys/module/firmware_class/parameters/path", "/opt/fw\n")
        let lookup = try tree.kernel.lookUpFirmware("nope.elf")
        #expect(lookup.found == nil)
        #expect(lookup.candidates.count == 5)
        #expect(lookup.candidates.allSatisfy { $0.outcome == .missing })
    }

    @Test func compressedFilesAreListedWhenNothingElseIsFound() throws {
        try tree.file("lib/firmware/app.elf.xz", "xz")
        try tree.file("lib/firmware/updates/app.elf.zst", "zstd")
        let lookup = try tree.kernel.lookUpFirmware("app.elf")
        #expect(lookup.found == nil)
        #expect(lookup.candidates.suffix(2).map(\.path) == ["/lib/firmware/updates/app.elf.zst", "/lib/firmware/app.elf.xz"])
        #expect(lookup.candidates.suffix(2).map(\.outcome) == [.compressed(size: 4), .compressed(size: 2)])
        try tree.file("lib/firmware/app.elf", "elf")
        #expect(try tree.kernel.lookUpFirmware("app.elf").candidates.last?.outcome == .found(size: 3))
    }

    @Test func subdirectoriesAndALeadingSlashStayRelative() throws {
        try tree.file("lib/firmware/vendor/m4.elf", "x")
        #expect(try tree.kernel.lookUpFirmware("vendor/m4.elf").found?.path == "/lib/firmware/vendor/m4.elf")
        #expect(try tree.kernel.lookUpFirmware("/vendor/m4.elf").found?.path == "/lib/firmware//vendor/m4.elf")
    }

    @Test(arguments: ["..", "../etc/shadow", "a/../b", "a/..", "x/../../y"])
    func dotDotComponentsAreRefusedLikeTheKernel(name: String) throws {
        #expect(throws: FirmwareNameError(name: name, reason: .dotDotComponent)) {
            try tree.kernel.lookUpFirmware(name)
        }
    }

    @Test(arguments: ["..x", "a..b/c", "x/..y", "...", "a/.../b"])
    func dotsThatAreNotAComponentAreFine(name: String) throws {
        #expect(try tree.kernel.lookUpFirmware(name).found == nil)
    }

    @Test func anEmptyNameIsRefused() {
        #expect(throws: FirmwareNameError(name: "", reason: .empty)) { try tree.kernel.lookUpFirmware("") }
    }

    @Test func mappingAnEmptyFileGivesNoBytes() throws {
        let path = try tree.file("empty", "")
        #expect(try MappedFile(path).count == 0)
        #expect(throws: SystemError.self) { try MappedFile(tree.path("lib")) }
    }
}
