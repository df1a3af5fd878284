// Parsing `--memory DA:LEN[,DA:LEN…]`.

import ArgumentParser

/// A processor memory window given on the command line: device address and length.
struct MemoryWindowArgument: Hashable, Sendable {
    let deviceAddress: UInt64
    let length: UInt64

    /// Why an argument was refused; the message names the bad text.
    struct ParseError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// Parses a comma-separated list of `DA:LEN` pairs. DA and LEN are decimal or `0x` hexadecimal;
    /// LEN may end in `K` or `M` (multiples of 1024, as systemd's sizes) or `G`.
    static func parseList(_ text: String) throws(ParseError) -> [MemoryWindowArgument] {
        guard !text.isEmpty else { throw ParseError(message: "expected DA:LEN[,DA:LEN…], got an empty value") }
        var windows: [MemoryWindowArgument] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            windows.append(try parse(String(item)))
        }
        return windows
    }

    /// `--memory`'s transform: ``parseList(_:)`` with its error as a usage error.
    static func parseOption(_ text: String) throws -> [MemoryWindowArgument] {
        do {
            return try parseList(text)
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// Parses one `DA:LEN` pair.
    static func parse(_ item: String) throws(ParseError) -> MemoryWindowArgument {
        let parts = item.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw ParseError(message: "'\(item)' is not of the form DA:LEN (e.g. 0x10000000:256K)")
        }
        let address = try number(String(parts[0]), what: "device address", allowSuffix: false)
        let length = try number(String(parts[1]), what: "length", allowSuffix: true)
        guard length > 0 else { throw ParseError(message: "length '\(parts[1])' in '\(item)' is zero") }
        guard address.addingReportingOverflow(length - 1).overflow == false else {
            throw ParseError(message: "'\(item)' ends beyond the 64-bit address space")
        }
        return MemoryWindowArgument(deviceAddress: address, length: length)
    }

    private static func number(_ text: String, what: String, allowSuffix: Bool) throws(ParseError) -> UInt64 {
        var digits = Substring(text)
        var multiplier: UInt64 = 1
        if allowSuffix, let last = digits.last {
            switch last {
            case "K": multiplier = 1 << 10
            case "M": multiplier = 1 << 20
            case "G": multiplier = 1 << 30
            default: break
            }
            if multiplier != 1 { digits = digits.dropLast() }
        }
        let value: UInt64?
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") {
            let hex = digits.dropFirst(2)
            value = hex.isEmpty || hex.hasPrefix("+") || hex.hasPrefix("-") ? nil : UInt64(hex, radix: 16)
        } else {
            value = digits.first == "+" ? nil : UInt64(digits, radix: 10)
        }
        guard let value else {
            let forms = allowSuffix ? "a decimal or 0x hexadecimal number, optionally followed by K, M or G" : "a decimal or 0x hexadecimal number"
            throw ParseError(message: "\(what) '\(text)' is not \(forms)")
        }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { throw ParseError(message: "\(what) '\(text)' does not fit in 64 bits") }
        return product
    }
}
