import Testing

@testable import RprocCtl

@Suite struct TableTests {
    func sample() -> Table {
        var table = Table([.init("IDX", .right), .init("TYPE"), .init("SIZE", .right), .init("NAME")])
        table.append("0", "LOAD", "0x400", ".text")
        table.append("10", "ARM_EXIDX", "0x8", "")
        return table
    }

    @Test func alignsColumnsUnderTheHeader() {
        let text = sample().render(header: true, styler: Styler(enabled: false))
        #expect(
            text == """
                IDX TYPE       SIZE NAME
                  0 LOAD      0x400 .text
                 10 ARM_EXIDX   0x8

                """)
    }

    @Test func withoutHeaderWidthsComeFromTheRows() {
        let text = sample().render(header: false, styler: Styler(enabled: false))
        #expect(text == " 0 LOAD      0x400 .text\n10 ARM_EXIDX   0x8\n")
    }

    @Test func stylingDoesNotShiftColumns() {
        var table = Table([.init("SEVERITY"), .init("CODE")])
        table.append([Table.Cell("error", style: .red), Table.Cell("rsc.missing")])
        let plain = table.render(header: true, styler: Styler(enabled: false))
        let coloured = table.render(header: true, styler: Styler(enabled: true))
        #expect(coloured.contains("\u{1B}[0;1;31merror\u{1B}[0m    rsc.missing"))
        #expect(coloured.contains("\u{1B}[4mSEVERITY\u{1B}[0m \u{1B}[4mCODE\u{1B}[0m"))
        #expect(!plain.contains("\u{1B}"))
    }

    @Test func legendCountsRows() {
        #expect(legend(1, "segment", "segments") == "1 segment listed.")
        #expect(legend(0, "segment", "segments") == "0 segments listed.")
    }

    @Test func terminalSafeEscapesControlCharacters() {
        #expect(terminalSafe(".text") == ".text")
        #expect(terminalSafe("a\u{1B}[2Jb") == "a\\x1b[2Jb")
        #expect(terminalSafe("x\ty\u{7F}\u{85}") == "x\\x09y\\x7f\\x85")
        #expect(terminalSafe("back\\slash\n") == "back\\\\slash\\x0a")
        #expect(terminalSafe("Größe") == "Größe")
    }

    @Test func coloursOnlyOnATerminalWithoutNoColor() {
        #expect(Terminal.colorsEnabled(environment: ["TERM": "xterm"], stdoutIsTerminal: true))
        #expect(!Terminal.colorsEnabled(environment: ["TERM": "xterm"], stdoutIsTerminal: false))
        #expect(!Terminal.colorsEnabled(environment: ["TERM": "xterm", "NO_COLOR": ""], stdoutIsTerminal: true))
        #expect(!Terminal.colorsEnabled(environment: ["TERM": "dumb"], stdoutIsTerminal: true))
    }
}

@Suite struct ArgumentTests {
    @Test func bareJSONBecomesPrettyOnATerminalAndShortOtherwise() {
        #expect(expandingBareJSON(["inspect", "--json", "fw.elf"], stdoutIsTerminal: false) == ["inspect", "--json=short", "fw.elf"])
        #expect(expandingBareJSON(["inspect", "--json", "fw.elf"], stdoutIsTerminal: true) == ["inspect", "--json=pretty", "fw.elf"])
        #expect(expandingBareJSON(["inspect", "--json=off", "x"], stdoutIsTerminal: true) == ["inspect", "--json=off", "x"])
        #expect(expandingBareJSON(["inspect", "--", "--json"], stdoutIsTerminal: false) == ["inspect", "--", "--json"])
        #expect(expandingBareJSON(["inspect", "--json", "pretty", "fw.elf"], stdoutIsTerminal: false) == ["inspect", "--json=pretty", "fw.elf"])
        #expect(expandingBareJSON(["--json", "off", "inspect", "x"], stdoutIsTerminal: true) == ["--json=off", "inspect", "x"])
        #expect(expandingBareJSON(["inspect", "fw.elf", "--json"], stdoutIsTerminal: false) == ["inspect", "fw.elf", "--json=short"])
    }

    struct Good: Sendable {
        let text: String
        let windows: [(UInt64, UInt64)]
    }

    static let good: [Good] = [
        .init(text: "0x10000000:256K", windows: [(0x1000_0000, 256 * 1024)]),
        .init(text: "0:4096", windows: [(0, 4096)]),
        .init(text: "0X30000000:0x40000,0x38000000:64K", windows: [(0x3000_0000, 0x40000), (0x3800_0000, 65536)]),
        .init(text: "268435456:1M", windows: [(0x1000_0000, 1 << 20)]),
        .init(text: "0x0:2G", windows: [(0, 2 << 30)]),
        .init(text: "0xffffffffffff0000:0x10000", windows: [(0xffff_ffff_ffff_0000, 0x10000)]),
    ]

    @Test(arguments: good)
    func memoryWindowsParse(_ case_: Good) throws {
        let windows = try MemoryWindowArgument.parseList(case_.text)
        #expect(windows.map(\.deviceAddress) == case_.windows.map(\.0))
        #expect(windows.map(\.length) == case_.windows.map(\.1))
    }

    static let bad: [(String, String)] = [
        ("", "expected DA:LEN[,DA:LEN…], got an empty value"),
        ("0x1000", "'0x1000' is not of the form DA:LEN (e.g. 0x10000000:256K)"),
        ("1:2:3", "'1:2:3' is not of the form DA:LEN (e.g. 0x10000000:256K)"),
        ("0xZZ:4K", "device address '0xZZ' is not a decimal or 0x hexadecimal number"),
        ("0x:4K", "device address '0x' is not a decimal or 0x hexadecimal number"),
        ("1K:4K", "device address '1K' is not a decimal or 0x hexadecimal number"),
        ("-1:4", "device address '-1' is not a decimal or 0x hexadecimal number"),
        ("+1:4", "device address '+1' is not a decimal or 0x hexadecimal number"),
        ("0:4Q", "length '4Q' is not a decimal or 0x hexadecimal number, optionally followed by K, M or G"),
        ("0:4k", "length '4k' is not a decimal or 0x hexadecimal number, optionally followed by K, M or G"),
        ("0:K", "length 'K' is not a decimal or 0x hexadecimal number, optionally followed by K, M or G"),
        ("0:0", "length '0' in '0:0' is zero"),
        ("0:0x0K", "length '0x0K' in '0:0x0K' is zero"),
        ("0:17179869184G", "length '17179869184G' does not fit in 64 bits"),
        ("0:18446744073709551616", "length '18446744073709551616' is not a decimal or 0x hexadecimal number, optionally followed by K, M or G"),
        ("0xffffffffffffffff:2", "'0xffffffffffffffff:2' ends beyond the 64-bit address space"),
        ("0:4K,", "'' is not of the form DA:LEN (e.g. 0x10000000:256K)"),
    ]

    @Test(arguments: bad)
    func badMemoryWindowsNameTheBadText(_ text: String, _ message: String) {
        #expect {
            try MemoryWindowArgument.parseList(text)
        } throws: { error in
            (error as? MemoryWindowArgument.ParseError)?.message == message
        }
    }
}
