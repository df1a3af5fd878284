// Shell glob patterns for `[Match]`, as fnmatch(3) without flags (what networkd's `Name=` uses).

/// fnmatch(3)-style patterns, for `[Match] Name=`/`Device=`.
public enum Glob {
    /// Whether `string` matches `pattern`: `*` any run, `?` one character, `[abc]`, `[a-z]`,
    /// `[!x]`/`[^x]` a set; `\` escapes the next character. An unclosed `[` matches itself.
    public static func matches(_ pattern: String, _ string: String) -> Bool {
        match(Array(pattern.unicodeScalars), 0, Array(string.unicodeScalars), 0)
    }

    /// Whether any pattern matches (an empty list matches nothing).
    public static func matchesAny(_ patterns: [String], _ string: String) -> Bool {
        patterns.contains { matches($0, string) }
    }

    private static func match(_ p: [Unicode.Scalar], _ pi: Int, _ s: [Unicode.Scalar], _ si: Int) -> Bool {
        var pi = pi, si = si
        // Backtracking point for the last `*`.
        var star: (p: Int, s: Int)?
        while si < s.count {
            if pi < p.count {
                switch p[pi] {
                case "*":
                    star = (pi, si)
                    pi += 1
                    continue
                case "?":
                    pi += 1; si += 1
                    continue
                case "[":
                    if let (matched, next) = bracket(p, pi, s[si]) {
                        if matched { pi = next; si += 1; continue }
                    } else if s[si] == "[" {
                        pi += 1; si += 1
                        continue
                    }
                case "\\" where pi + 1 < p.count:
                    if p[pi + 1] == s[si] { pi += 2; si += 1; continue }
                default:
                    if p[pi] == s[si] { pi += 1; si += 1; continue }
                }
            }
            guard let last = star else { return false }
            star = (last.p, last.s + 1)
            pi = last.p + 1
            si = last.s + 1
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    /// Matches `c` against the set starting at `p[start] == "["`: (matched, index after `]`), or
    /// `nil` when the set is not closed.
    private static func bracket(_ p: [Unicode.Scalar], _ start: Int, _ c: Unicode.Scalar) -> (Bool, Int)? {
        var i = start + 1
        var negate = false
        if i < p.count, p[i] == "!" || p[i] == "^" { negate = true; i += 1 }
        var matched = false
        var first = true
        while i < p.count {
            if p[i] == "]", !first { return (matched != negate, i + 1) }
            first = false
            var lo = p[i]
            if lo == "\\", i + 1 < p.count { i += 1; lo = p[i] }
            if i + 2 < p.count, p[i + 1] == "-", p[i + 2] != "]" {
                let hi = p[i + 2]
                if lo.value <= c.value && c.value <= hi.value { matched = true }
                i += 3
            } else {
                if lo == c { matched = true }
                i += 1
            }
        }
        return nil
    }
}
