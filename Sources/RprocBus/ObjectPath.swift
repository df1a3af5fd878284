import CSystemd
import Glibc

/// Object paths: validation and the escaping of external ids (`sd_bus_path_encode` rules: every byte
/// other than `[A-Za-z0-9]` becomes `_xx`; the empty id is `_`).
public enum ObjectPath {
    /// Whether `path` is a valid object path. The corresponding C function is `sd_bus_object_path_is_valid`.
    public static func isValid(_ path: String) -> Bool { sd_bus_object_path_is_valid(path) > 0 }

    /// `prefix/<escaped id>`. The corresponding C function is `sd_bus_path_encode`.
    public static func encode(prefix: String, id: String) -> String {
        var out: UnsafeMutablePointer<CChar>?
        guard sd_bus_path_encode(prefix, id, &out) >= 0, let out else { preconditionFailure("invalid object path prefix '\(prefix)'") }
        defer { free(out) }
        return String(cString: out)
    }

    /// The id of `path` under `prefix`, or nil when `path` is not `prefix/<one component>`.
    /// The corresponding C function is `sd_bus_path_decode`.
    public static func decode(_ path: String, prefix: String) -> String? {
        var out: UnsafeMutablePointer<CChar>?
        guard sd_bus_path_decode(path, prefix, &out) > 0, let out else { return nil }
        defer { free(out) }
        return String(cString: out)
    }

    /// The components of `path` after `ancestor` (`"/a"` and `"/a/b/c"` → `["b", "c"]`), nil when
    /// `path` is not below `ancestor`.
    package static func components(of path: String, below ancestor: String) -> [Substring]? {
        if ancestor == "/" { return path == "/" ? nil : path.dropFirst().split(separator: "/", omittingEmptySubsequences: false) }
        guard path.count > ancestor.count, path.hasPrefix(ancestor), path.utf8[path.utf8.index(path.utf8.startIndex, offsetBy: ancestor.utf8.count)] == UInt8(ascii: "/") else { return nil }
        return path.dropFirst(ancestor.count + 1).split(separator: "/", omittingEmptySubsequences: false)
    }
}
