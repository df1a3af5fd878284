// Which kernel's firmware checks to apply (docs/kernel-contract.md §0.2).

/// A Linux version line that rprocd models: what `rprocctl --kernel 6.1|6.12|all` selects.
public enum KernelVersionLine: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// Linux 6.1 (Debian bookworm's 6.1.x).
    case v6_1 = "6.1"
    /// Linux 6.12 (Debian's 6.12.x backports).
    case v6_12 = "6.12"

    /// `"6.1"` or `"6.12"`: the stable spelling used on the command line and in output.
    public var description: String { rawValue }
}

/// The remoteproc core variant within a version line (contract §0.2).
public enum KernelFlavour: String, CaseIterable, Hashable, Sendable {
    /// Debian 6.1.170…6.1.187 and 6.12 ≤ .107 (and presumably upstream v6.1/v6.12): resource-table
    /// entries are bounds-checked only by `offset + 4 > table_sz`.
    case classic
    /// Debian 6.1.190, 6.1.192, 6.12.111: `rsc_table.h`, entries also refused when `offset < 16` or
    /// `offset ≥ table_sz`.
    case new
    /// 6.12.117: NEW plus three section-header bounds checks in `rproc_elf_sanity_check`.
    case newPlus = "new+"
}

/// One modelled kernel: a version line and a flavour.
///
/// Stable names (used in findings, JSON and on the command line):
/// `"6.1-classic"`, `"6.1-new"`, `"6.12-classic"`, `"6.12-new"` (6.12.111) and `"6.12.117"` (NEW+).
/// A finding refused by every profile of a line names the line alone (`"6.1"`, `"6.12"`); see
/// `KernelProfile.names(of:)`.
public struct KernelProfile: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The version line.
    public let line: KernelVersionLine
    /// The flavour within the line.
    public let flavour: KernelFlavour

    /// Debian 6.1.170…6.1.187.
    public static let linux6_1Classic = KernelProfile(line: .v6_1, flavour: .classic)
    /// Debian 6.1.190, 6.1.192.
    public static let linux6_1New = KernelProfile(line: .v6_1, flavour: .new)
    /// Debian 6.12 ≤ .107.
    public static let linux6_12Classic = KernelProfile(line: .v6_12, flavour: .classic)
    /// Debian 6.12.111.
    public static let linux6_12New = KernelProfile(line: .v6_12, flavour: .new)
    /// Debian 6.12.117 (NEW+).
    public static let linux6_12_117 = KernelProfile(line: .v6_12, flavour: .newPlus)

    /// Every modelled kernel, oldest first. (6.1 has no NEW+ flavour.)
    public static let all: [KernelProfile] = [
        .linux6_1Classic, .linux6_1New, .linux6_12Classic, .linux6_12New, .linux6_12_117,
    ]

    /// The one table of stable names, from which `name` and `init?(name:)` derive.
    public static let table: [(KernelProfile, String)] = [
        (.linux6_1Classic, "6.1-classic"), (.linux6_1New, "6.1-new"), (.linux6_12Classic, "6.12-classic"),
        (.linux6_12New, "6.12-new"), (.linux6_12_117, "6.12.117"),
    ]

    /// The stable name (`"6.12.117"`).
    public var name: String {
        for (p, n) in Self.table where p == self { return n }
        return "\(line)-\(flavour.rawValue)"
    }

    /// The profile with this stable name, or nil.
    public init?(name: String) {
        guard let match = Self.table.first(where: { $0.1 == name }) else { return nil }
        self = match.0
    }

    private init(line: KernelVersionLine, flavour: KernelFlavour) {
        self.line = line
        self.flavour = flavour
    }

    /// The profiles of the given version lines (what `--kernel 6.1`, `--kernel 6.12` or `--kernel all`
    /// selects), oldest first.
    public static func profiles(of lines: some Sequence<KernelVersionLine>) -> [KernelProfile] {
        let set = Set(lines)
        return all.filter { set.contains($0.line) }
    }

    /// The stable names for a set of profiles, collapsed per line: when every profile of a line is in
    /// the set, the line's name (`"6.1"`); otherwise the profiles' own names (`"6.12.117"`).
    /// Ordered oldest first, e.g. `["6.1", "6.12"]`, `["6.12.117"]`, `["6.1-new", "6.12-new", "6.12.117"]`.
    public static func names(of profiles: some Sequence<KernelProfile>) -> [String] {
        let set = Set(profiles)
        var names: [String] = []
        for line in KernelVersionLine.allCases {
            let ofLine = all.filter { $0.line == line }
            if ofLine.allSatisfy(set.contains) { names.append(line.rawValue); continue }
            names += ofLine.filter(set.contains).map(\.name)
        }
        return names
    }

    /// Whether resource-table entries are also refused when `offset < 16` or `offset ≥ table_sz`
    /// (`rsc_table_for_each_entry`, NEW and NEW+).
    public var checksEntryOffsetRange: Bool { flavour != .classic }
    /// Whether `rproc_elf_sanity_check` has the three 6.12.117 section-header checks.
    public var checksSectionHeaderTable: Bool { flavour == .newPlus }

    /// Orders oldest first (position in `all`).
    public static func < (a: KernelProfile, b: KernelProfile) -> Bool {
        (all.firstIndex(of: a) ?? 0) < (all.firstIndex(of: b) ?? 0)
    }

    /// The stable name.
    public var description: String { name }
}
