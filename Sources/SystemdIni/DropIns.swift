// Search directories, masking and drop-ins, as systemd's `conf_files_list` and
// `config_parse_many` combine /etc, /run and /usr/lib. Pure: the caller lists and reads the files.

/// One file the caller found in a search directory.
public struct ConfigFile: Hashable, Sendable {
    /// What the file holds.
    public enum Contents: Hashable, Sendable {
        /// A regular file's text.
        case text(String)
        /// The file is empty or a symlink to `/dev/null`: it masks files of the same name in lower
        /// directories and contributes nothing.
        case masked
    }

    /// The full path (`/etc/rprocd/processors.d/m4.rproc`).
    public var path: String
    /// The text, or `.masked`.
    public var contents: Contents

    public init(path: String, contents: Contents) {
        self.path = path
        self.contents = contents
    }

    public init(path: String, text: String) {
        self.init(path: path, contents: .text(text))
    }

    /// The last path component (`m4.rproc`).
    public var name: String { Paths.basename(path) }
    /// Everything before the last component (`/etc/rprocd/processors.d`).
    public var directory: String { Paths.dirname(path) }
}

/// A main file with its drop-ins applied, in the order systemd applies them.
public struct MergedConfig: Hashable, Sendable {
    /// The main file's tokens followed by each drop-in's, in drop-in order.
    public var document: Document
    /// The main file used, if one was found and not masked.
    public var mainFile: String?
    /// Whether the highest-priority main file was masked.
    public var masked: Bool
    /// The drop-ins applied, in order.
    public var dropIns: [String]

    public init(document: Document, mainFile: String?, masked: Bool, dropIns: [String]) {
        self.document = document
        self.mainFile = mainFile
        self.masked = masked
        self.dropIns = dropIns
    }
}

/// Combining the files of several search directories (pure: the caller lists and reads them).
public enum ConfigFiles {
    /// The files of several search directories as one list, as `conf_files_list` builds it: for a
    /// name present in several directories only the file in the earliest directory counts; masked
    /// files are dropped (with whatever they masked); the result is sorted by file name (`strcmp`
    /// order).
    ///
    /// - Parameters:
    ///   - files: candidate files; only those directly inside one of `directories` and whose name
    ///     ends in `suffix` are considered.
    ///   - directories: search directories, highest priority first (`/etc/…`, `/run/…`, `/usr/lib/…`).
    ///   - suffix: the file-name suffix that selects files (`.rproc`, `.conf`).
    public static func resolve(_ files: [ConfigFile], directories: [String], suffix: String) -> [ConfigFile] {
        let dirs = directories.map(Paths.normalized)
        var best: [String: (priority: Int, file: ConfigFile)] = [:]
        for file in files {
            guard file.name.hasSuffix(suffix), file.name.count > suffix.count,
                let priority = dirs.firstIndex(of: Paths.normalized(file.directory))
            else { continue }
            if let existing = best[file.name], existing.priority <= priority { continue }
            best[file.name] = (priority, file)
        }
        return best.values
            .map(\.file)
            .filter { $0.contents != .masked }
            .sorted { Paths.precedes($0.name, $1.name) }
    }

    /// A main file and its drop-ins: the first `<dir>/<name>` in directory order, then every
    /// `<dir>/<name>.d/*.conf` across all directories (resolved as `resolve` does), sorted by file
    /// name and applied after the main file.
    ///
    /// A masked main file contributes nothing and sets `masked`; drop-ins still apply (a unit
    /// loader that treats masking as "ignore the object" checks `masked`).
    public static func merge(name: String, directories: [String], files: [ConfigFile]) -> MergedConfig {
        let dirs = directories.map(Paths.normalized)
        var document = Document()
        var mainFile: String?
        var masked = false
        mainSearch: for dir in dirs {
            for file in files where Paths.normalized(file.directory) == dir && file.name == name {
                switch file.contents {
                case .masked: masked = true
                case .text(let text):
                    document.append(Document.parse(text, file: file.path))
                    mainFile = file.path
                }
                break mainSearch
            }
        }
        let dropInDirs = dirs.map { "\($0)/\(name).d" }
        let dropIns = resolve(files, directories: dropInDirs, suffix: ".conf")
        for dropIn in dropIns {
            if case .text(let text) = dropIn.contents {
                document.append(Document.parse(text, file: dropIn.path))
            }
        }
        return MergedConfig(document: document, mainFile: mainFile, masked: masked, dropIns: dropIns.map(\.path))
    }
}

/// String path helpers (no file system access).
public enum Paths {
    /// The last component: `basename("/a/b.conf") == "b.conf"`.
    public static func basename(_ path: String) -> String {
        let p = normalized(path)
        guard let slash = p.lastIndex(of: "/") else { return p }
        return String(p[p.index(after: slash)...])
    }

    /// Everything before the last component: `dirname("/a/b.conf") == "/a"`, `dirname("b") == "."`.
    public static func dirname(_ path: String) -> String {
        let p = normalized(path)
        guard let slash = p.lastIndex(of: "/") else { return "." }
        return slash == p.startIndex ? "/" : String(p[..<slash])
    }

    /// The path with repeated and trailing slashes removed (`/etc//rprocd/` → `/etc/rprocd`).
    public static func normalized(_ path: String) -> String {
        var out = ""
        var lastSlash = false
        for c in path {
            if c == "/" {
                if lastSlash { continue }
                lastSlash = true
            } else {
                lastSlash = false
            }
            out.append(c)
        }
        if out.count > 1, out.last == "/" { out.removeLast() }
        return out
    }

    /// `strcmp` order (bytes), the order systemd sorts configuration files in.
    public static func precedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
