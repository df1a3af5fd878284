import Testing
@testable import SystemdIni

@Suite struct TokenizerTests {
    @Test func sectionsAndAssignmentsWithLocations() {
        let doc = Document.parse("[Match]\nName=m4\n\n[Firmware]\n  File  =  fw.elf  \n", file: "a.rproc")
        #expect(doc.sections.map(\.name) == ["Match", "Firmware"])
        #expect(doc.sections[1].location == SourceLocation(file: "a.rproc", line: 4))
        #expect(doc.assignments == [
            Assignment(section: "Match", key: "Name", value: "m4", location: SourceLocation(file: "a.rproc", line: 2)),
            Assignment(section: "Firmware", key: "File", value: "fw.elf", location: SourceLocation(file: "a.rproc", line: 5)),
        ])
        #expect(doc.warnings.isEmpty)
        #expect(doc.assignments[1].location.description == "a.rproc:5")
    }

    @Test func commentsWithHashAndSemicolon() {
        let doc = Document.parse("# top\n[S]\n; semicolon\n   # indented\nK=v # not a comment\n", file: "f")
        #expect(doc.assignments.map(\.value) == ["v # not a comment"])
        #expect(doc.warnings.isEmpty)
    }

    @Test func continuationJoinsLinesWithASpace() {
        let doc = Document.parse("[S]\nK=a \\\n  b\\\nc\nL=x\n", file: "f")
        #expect(doc.assignments.count == 2)
        #expect(doc.assignments[0].value == "a    b c")
        #expect(doc.assignments[0].location.line == 2)
        #expect(doc.assignments[1].location.line == 5)
    }

    @Test func commentInsideContinuationIsSkipped() {
        let doc = Document.parse("[S]\nK=a \\\n# note\nb\n", file: "f")
        #expect(doc.assignments.map(\.value) == ["a  b"])
    }

    @Test func escapedBackslashDoesNotContinue() {
        let doc = Document.parse("[S]\nK=a\\\\\nL=b\n", file: "f")
        #expect(doc.assignments.map(\.key) == ["K", "L"])
        #expect(doc.assignments[0].value == "a\\\\")
    }

    @Test func continuationAtEndOfFileIsKept() {
        let doc = Document.parse("[S]\nK=a\\", file: "f")
        #expect(doc.assignments.map(\.value) == ["a"])
    }

    @Test func crlfLineEnds() {
        let doc = Document.parse("[S]\r\nK=v\r\n", file: "f")
        #expect(doc.assignments.map(\.value) == ["v"])
        #expect(doc.sections.map(\.name) == ["S"])
    }

    @Test func emptyValueAndRepeatedKeysKeptInOrder() {
        let doc = Document.parse("[S]\nW=1\nW=2\nW=\nW=3 4\n", file: "f")
        #expect(doc.assignments("S", "W").map(\.value) == ["1", "2", "", "3 4"])
        #expect(doc.last("S", "W")?.value == "3 4")
        #expect(doc.list("S", "W") == ["3", "4"])
        #expect(Document.parse("[S]\nW=1 2\nW=\n", file: "f").list("S", "W") == [])
    }

    @Test func valueMayContainEquals() {
        let doc = Document.parse("[S]\nK = a=b \n", file: "f")
        #expect(doc.assignments.first?.value == "a=b")
    }

    @Test(arguments: [
        ("[S]\ngarbage line\n", 2, "Missing '='"),
        ("[S]\n=value\n", 2, "Missing key name"),
        ("K=v\n", 1, "outside of any section"),
        ("[Broken\nK=v\n", 1, "Invalid section header"),
    ])
    func badLinesAreWarningsWithLocation(text: String, line: Int, fragment: String) {
        let doc = Document.parse(text, file: "x.conf")
        #expect(doc.assignments.isEmpty)
        #expect(doc.warnings.count == 1)
        #expect(doc.warnings[0].location == SourceLocation(file: "x.conf", line: line))
        #expect(doc.warnings[0].message.contains(fragment))
        #expect(doc.warnings[0].message.hasSuffix(", ignoring."))
        #expect(doc.warnings[0].description.hasPrefix("x.conf:\(line): "))
    }

    @Test func assignmentsAfterInvalidHeaderAreDroppedUntilNextSection() {
        let doc = Document.parse("[Good]\nA=1\n[Bad\nB=2\n[Good]\nC=3\n", file: "f")
        #expect(doc.assignments.map(\.key) == ["A", "C"])
        #expect(doc.warnings.count == 1)
    }

    @Test func emptySectionIsRecorded() {
        let doc = Document.parse("[Match]\n[Boot]\nAutoStart=yes\n", file: "f")
        #expect(doc.hasSection("Match"))
        #expect(doc.assignments.filter { $0.section == "Match" }.isEmpty)
    }
}

@Suite struct BooleanTests {
    @Test(arguments: ["1", "yes", "YES", "true", "True", "on", "ON", " y ", "t"])
    func truthy(_ text: String) throws { #expect(try Values.parseBoolean(text) == true) }

    @Test(arguments: ["0", "no", "No", "false", "FALSE", "off", "n", "f"])
    func falsy(_ text: String) throws { #expect(try Values.parseBoolean(text) == false) }

    @Test(arguments: ["", "2", "maybe", "enable", "yess"])
    func invalid(_ text: String) {
        #expect(throws: ValueError(type: "boolean", value: text, reason: .invalid)) { try Values.parseBoolean(text) }
    }
}

@Suite struct TimeSpanTests {
    static let s: UInt64 = 1_000_000

    static let cases: [(String, UInt64)] = [
        ("5s", 5 * s), ("100ms", 100_000), ("1min 30s", 90 * s), ("2h", 7200 * s), ("1.5s", 1_500_000),
        ("30", 30 * s), ("0", 0), ("1m", 60 * s), ("1M", 2_629_800 * s), ("1d", 86_400 * s),
        ("1w", 604_800 * s), ("1hr", 3600 * s), ("20us", 20), ("20µs", 20), ("20μs", 20),
        ("1sec", s), ("3 min", 180 * s), ("1y", 31_557_600 * s), ("1.5", 1_500_000), (".5s", 500_000),
        ("2h30min", 9000 * s), ("  7ms  ", 7_000), ("1.25min", 75 * s), ("5seconds", 5 * s),
        ("1.2345678s", 1_234_567),
    ]

    @Test(arguments: cases)
    func parses(text: String, usec: UInt64) throws {
        #expect(try Values.parseTimeSpan(text) == TimeSpan(microseconds: usec))
    }

    @Test func infinity() throws {
        #expect(try Values.parseTimeSpan("infinity") == .infinity)
        #expect(try Values.parseTimeSpan(" infinity ").isInfinite)
    }

    @Test func defaultUnit() throws {
        #expect(try Values.parseTimeSpan("250", defaultUnit: .milliseconds(1)) == .milliseconds(250))
    }

    @Test(arguments: ["", "   ", "s", "5x", "1.2.3", "3.", "3.sec", "infinityx", "abc", "5 s x"])
    func invalid(_ text: String) {
        #expect(throws: ValueError(type: "time span", value: text, reason: .invalid)) { try Values.parseTimeSpan(text) }
    }

    @Test(arguments: ["-1s", "-0", "99999999999999999999", "600000y", "18446744073709551615us"])
    func outOfRange(_ text: String) {
        #expect(throws: ValueError(type: "time span", value: text, reason: .outOfRange)) {
            try Values.parseTimeSpan(text)
        }
    }

    @Test func descriptionReadsBack() throws {
        #expect(TimeSpan.seconds(90).description == "1min 30s")
        #expect(TimeSpan(microseconds: 1_500_000).description == "1s 500ms")
        #expect(TimeSpan.milliseconds(100).description == "100ms")
        #expect(TimeSpan.zero.description == "0")
        #expect(TimeSpan.infinity.description == "infinity")
        for usec: UInt64 in [1, 7, 999, 1_000, 59_999_999, 86_400_000_001, 3_723_004_005, 1 << 50] {
            let span = TimeSpan(microseconds: usec)
            #expect(try Values.parseTimeSpan(span.description) == span, "\(span)")
        }
    }

    @Test func errorMessage() {
        #expect(ValueError(type: "time span", value: "x", reason: .invalid).description == "Invalid time span 'x'")
        #expect(ValueError(type: "time span", value: "-1", reason: .outOfRange).description
            == "Time span '-1' is out of range")
    }
}

@Suite struct SizeTests {
    static let cases: [(String, UInt64)] = [
        ("512", 512), ("512K", 512 * 1024), ("1M", 1 << 20), ("1G", 1 << 30), ("1.5M", 1_572_864),
        ("2T", 2 << 40), ("1E", 1 << 60), ("10B", 10), (" 4K ", 4096), ("1G 512M", (1 << 30) + (512 << 20)),
        ("1.5K", 1536), ("0", 0), ("1 K", 1024),
    ]

    @Test(arguments: cases)
    func parses(text: String, bytes: UInt64) throws {
        #expect(try Values.parseSize(text) == bytes)
    }

    @Test(arguments: ["", "K", "1X", "1k", "1M 1G", "abc", "1 2"])
    func invalid(_ text: String) {
        #expect(throws: ValueError(type: "size", value: text, reason: .invalid)) { try Values.parseSize(text) }
    }

    @Test(arguments: ["-1", "16E", "18446744073709551616", "15E 1024P"])
    func outOfRange(_ text: String) {
        #expect(throws: ValueError(type: "size", value: text, reason: .outOfRange)) { try Values.parseSize(text) }
    }
}

@Suite struct IntegerTests {
    @Test func decimalAndHex() throws {
        #expect(try Values.parseInteger("42", as: UInt32.self) == 42)
        #expect(try Values.parseInteger("0x1F", as: UInt32.self) == 31)
        #expect(try Values.parseInteger("0XfF", as: UInt8.self) == 255)
        #expect(try Values.parseInteger("-5", as: Int32.self) == -5)
        #expect(try Values.parseInteger("-128", as: Int8.self) == Int8.min)
        #expect(try Values.parseInteger(" 7 ", as: Int.self) == 7)
    }

    @Test(arguments: ["", "0x", "12a", "0xg", "--1", "1.0", "٣"])
    func invalid(_ text: String) {
        #expect(throws: ValueError(type: "integer", value: text, reason: .invalid)) {
            try Values.parseInteger(text, as: Int32.self)
        }
    }

    @Test func outOfRange() {
        #expect(throws: ValueError(type: "integer", value: "256", reason: .outOfRange)) {
            try Values.parseInteger("256", as: UInt8.self)
        }
        #expect(throws: ValueError(type: "integer", value: "-1", reason: .outOfRange)) {
            try Values.parseInteger("-1", as: UInt32.self)
        }
        #expect(throws: ValueError(type: "integer", value: "-129", reason: .outOfRange)) {
            try Values.parseInteger("-129", as: Int8.self)
        }
        #expect(throws: ValueError(type: "integer", value: "0x1ffffffffffffffff", reason: .outOfRange)) {
            try Values.parseInteger("0x1ffffffffffffffff", as: UInt64.self)
        }
    }
}

@Suite struct ModeTests {
    @Test func octal() throws {
        #expect(try Values.parseMode("660") == 0o660)
        #expect(try Values.parseMode("0600") == 0o600)
        #expect(try Values.parseMode("7777") == 0o7777)
    }

    @Test func bad() {
        #expect(throws: ValueError(type: "file mode", value: "0688", reason: .invalid)) { try Values.parseMode("0688") }
        #expect(throws: ValueError(type: "file mode", value: "", reason: .invalid)) { try Values.parseMode("") }
        #expect(throws: ValueError(type: "file mode", value: "17777", reason: .outOfRange)) {
            try Values.parseMode("17777")
        }
    }
}

@Suite struct ListAndWindowTests {
    @Test func listsSplitOnWhitespace() {
        #expect(Values.parseList("a  b\tc ") == ["a", "b", "c"])
        #expect(Values.parseList("   ") == [])
    }

    static let windowCases: [(String, UInt64, UInt64)] = [
        ("0x10000000:0x40000", 0x1000_0000, 0x40000),
        ("0x10000000:256K", 0x1000_0000, 256 * 1024),
        ("4096:1M", 4096, 1 << 20),
        (" 0x0 : 0x1000 ", 0, 0x1000),
        ("0x2000:0xAB", 0x2000, 0xAB),
        ("0x2000:2G", 0x2000, 2 << 30),
        ("0x2000:8k", 0x2000, 8192),
    ]

    @Test(arguments: windowCases)
    func windows(text: String, address: UInt64, length: UInt64) throws {
        #expect(try Values.parseMemoryWindow(text) == MemoryWindow(deviceAddress: address, length: length))
    }

    @Test(arguments: ["", "0x1000", "0x1000:", ":0x10", "0x1000:0", "zz:1K", "0x1000:1Q", "1:2:3"])
    func invalidWindows(_ text: String) {
        #expect(throws: ValueError(type: "memory window", value: text, reason: .invalid)) {
            try Values.parseMemoryWindow(text)
        }
    }

    @Test func windowThatWrapsIsOutOfRange() {
        #expect(throws: ValueError(type: "memory window", value: "0xffffffffffffff00:1K", reason: .outOfRange)) {
            try Values.parseMemoryWindow("0xffffffffffffff00:1K")
        }
    }

    @Test func windowContainment() {
        let w = MemoryWindow(deviceAddress: 0x1000, length: 0x100)
        #expect(w.contains(address: 0x1000, size: 0x100))
        #expect(w.contains(address: 0x10ff, size: 1))
        #expect(!w.contains(address: 0x10ff, size: 2))
        #expect(!w.contains(address: 0xfff, size: 1))
        #expect(w.description == "0x1000:0x100")
    }
}

@Suite struct DropInTests {
    let dirs = ["/etc/rprocd", "/run/rprocd", "/usr/lib/rprocd"]
    var processorDirs: [String] { dirs.map { $0 + "/processors.d" } }

    @Test func higherDirectoryMasksLowerAndResultIsSortedByName() {
        let files = [
            ConfigFile(path: "/usr/lib/rprocd/processors.d/b.rproc", text: "usr-b"),
            ConfigFile(path: "/usr/lib/rprocd/processors.d/a.rproc", text: "usr-a"),
            ConfigFile(path: "/etc/rprocd/processors.d/b.rproc", text: "etc-b"),
            ConfigFile(path: "/run/rprocd/processors.d/c.rproc", text: "run-c"),
            ConfigFile(path: "/run/rprocd/processors.d/notes.txt", text: "x"),
            ConfigFile(path: "/elsewhere/d.rproc", text: "x"),
        ]
        let resolved = ConfigFiles.resolve(files, directories: processorDirs, suffix: ".rproc")
        #expect(resolved.map(\.path) == [
            "/usr/lib/rprocd/processors.d/a.rproc", "/etc/rprocd/processors.d/b.rproc",
            "/run/rprocd/processors.d/c.rproc",
        ])
    }

    @Test func maskedFileHidesLowerOnesAndItself() {
        let files = [
            ConfigFile(path: "/usr/lib/rprocd/processors.d/a.rproc", text: "usr-a"),
            ConfigFile(path: "/etc/rprocd/processors.d/a.rproc", contents: .masked),
        ]
        #expect(ConfigFiles.resolve(files, directories: processorDirs, suffix: ".rproc").isEmpty)
    }

    @Test func mainFileThenDropInsSortedAcrossDirectories() {
        let files = [
            ConfigFile(path: "/usr/lib/rprocd/rprocd.conf", text: "[Daemon]\nK=usr\n"),
            ConfigFile(path: "/etc/rprocd/rprocd.conf", text: "[Daemon]\nK=etc\n"),
            ConfigFile(path: "/usr/lib/rprocd/rprocd.conf.d/20-b.conf", text: "[Daemon]\nK=usr-20\n"),
            ConfigFile(path: "/run/rprocd/rprocd.conf.d/10-a.conf", text: "[Daemon]\nK=run-10\n"),
            ConfigFile(path: "/etc/rprocd/rprocd.conf.d/20-b.conf", text: "[Daemon]\nK=etc-20\n"),
            ConfigFile(path: "/etc/rprocd/rprocd.conf.d/30-c.txt", text: "[Daemon]\nK=not-conf\n"),
        ]
        let merged = ConfigFiles.merge(name: "rprocd.conf", directories: dirs, files: files)
        #expect(merged.mainFile == "/etc/rprocd/rprocd.conf")
        #expect(!merged.masked)
        #expect(merged.dropIns == ["/run/rprocd/rprocd.conf.d/10-a.conf", "/etc/rprocd/rprocd.conf.d/20-b.conf"])
        #expect(merged.document.assignments.map(\.value) == ["etc", "run-10", "etc-20"])
        #expect(merged.document.last("Daemon", "K")?.location.file == "/etc/rprocd/rprocd.conf.d/20-b.conf")
    }

    @Test func maskedMainFileStillAppliesDropIns() {
        let files = [
            ConfigFile(path: "/etc/rprocd/rprocd.conf", contents: .masked),
            ConfigFile(path: "/usr/lib/rprocd/rprocd.conf", text: "[Daemon]\nK=usr\n"),
            ConfigFile(path: "/usr/lib/rprocd/rprocd.conf.d/a.conf", text: "[Daemon]\nK=dropin\n"),
        ]
        let merged = ConfigFiles.merge(name: "rprocd.conf", directories: dirs, files: files)
        #expect(merged.masked)
        #expect(merged.mainFile == nil)
        #expect(merged.document.assignments.map(\.value) == ["dropin"])
    }

    @Test func maskedDropInMasksLowerDropIn() {
        let files = [
            ConfigFile(path: "/usr/lib/rprocd/rprocd.conf.d/a.conf", text: "[Daemon]\nK=usr\n"),
            ConfigFile(path: "/etc/rprocd/rprocd.conf.d/a.conf", contents: .masked),
        ]
        let merged = ConfigFiles.merge(name: "rprocd.conf", directories: dirs, files: files)
        #expect(merged.dropIns.isEmpty)
        #expect(merged.document.assignments.isEmpty)
    }

    @Test func trailingSlashesInDirectoriesAreIgnored() {
        let files = [ConfigFile(path: "/etc//rprocd/rprocd.conf", text: "[Daemon]\nK=v\n")]
        let merged = ConfigFiles.merge(name: "rprocd.conf", directories: ["/etc/rprocd/"], files: files)
        #expect(merged.mainFile == "/etc//rprocd/rprocd.conf")
    }

    @Test func pathHelpers() {
        #expect(Paths.basename("/a/b/c.conf") == "c.conf")
        #expect(Paths.dirname("/a/b/c.conf") == "/a/b")
        #expect(Paths.dirname("/c") == "/")
        #expect(Paths.dirname("c") == ".")
        #expect(Paths.normalized("//a///b/") == "/a/b")
        #expect(Paths.precedes("10-a.conf", "9-b.conf"))
        #expect(Paths.precedes("B", "a"))
    }
}

/// Deterministic pseudo-random text (an LCG), so a failure reproduces.
struct TextGenerator {
    var seed: UInt64
    var alphabet = Array("[]=#;\\ \t\n\r.:-+0123456789xXkKMGsmhdwuµyinfty abc\u{0}é")

    mutating func next(_ length: Int) -> String {
        var out = ""
        for _ in 0..<length {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            out.append(alphabet[Int(seed >> 33) % alphabet.count])
        }
        return out
    }
}

@Suite struct RobustnessTests {
    /// Arbitrary input never traps; every parser either returns a value or throws `ValueError`.
    @Test func arbitraryInputNeverTraps() {
        var gen = TextGenerator(seed: 0x5eed)
        for round in 0..<3_000 {
            let text = gen.next(round % 64)
            let doc = Document.parse(text, file: "fuzz")
            #expect(doc.assignments.allSatisfy { $0.location.line >= 1 })
            _ = try? Values.parseTimeSpan(text)
            _ = try? Values.parseSize(text)
            _ = try? Values.parseInteger(text, as: Int64.self)
            _ = try? Values.parseMemoryWindow(text)
            _ = try? Values.parseMode(text)
            _ = try? Values.parseBoolean(text)
        }
    }

    /// A value that parses prints as text that parses to the same value.
    @Test func parsedTimeSpansReadBack() {
        var gen = TextGenerator(seed: 42, alphabet: Array("0123456789 .smhdwu"))
        var parsed = 0
        for _ in 0..<5_000 {
            let text = gen.next(6)
            guard let span = try? Values.parseTimeSpan(text) else { continue }
            parsed += 1
            #expect((try? Values.parseTimeSpan(span.description)) == span, "'\(text)' → \(span)")
        }
        #expect(parsed > 1_000)
    }
}
