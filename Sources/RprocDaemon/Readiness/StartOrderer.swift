// Ordering between processors: `[Boot] After=` and `Requires=` name other processor files (their
// stems). Auto-start starts a processor only once every processor it is ordered after is ready;
// one whose `Requires=` processor fails is not started. Stopping a processor first stops those
// that require it. Cycles never get here: `Configuration.parse` refuses them
// (`ConfigError.orderingCycle`, naming the cycle).
//
// Wiring (the manager, on the loop thread):
// - In: `Manager.autoStart()` builds a `StartOrderer(configuration:pending:up:)` from the
//   processor files with `AutoStart=yes` whose processor is offline/detached (`pending`) and the
//   ids whose processor is already ready (`up`), then enqueues a `start` for every id that
//   `begin()` returns; when a start job of an id ends, it calls `ready(_:)` (job succeeded and
//   readiness came) or `failed(_:)` (refused, kernel error, timeout) and enqueues what those return.
// - Out: `.start(id)` → enqueue `start` on the processor of that id; `.skip(id, reason)` → log
//   "Not starting 'x': …" once.
// - Stop: before enqueueing a user's `stop` of id X, enqueue (and wait for) a stop of each id in
//   `StartOrderer.stopCascade(X, configuration:)` that is up, in that order, then X itself.

import RprocModel

struct StartOrderer {
    enum Action: Equatable {
        case start(String)
        case skip(String, reason: String)
    }

    private let order: [String]
    private let after: [String: [String]]
    private let requires: [String: [String]]
    private var pending: [String]
    private var ready: Set<String>
    private var failed: Set<String> = []
    private var started: Set<String> = []

    /// - Parameters:
    ///   - pending: ids to start (any order; they are started in `configuration.startOrder`).
    ///   - up: ids whose processor is already ready (their dependents need not wait).
    init(configuration: Configuration, pending: Set<String>, up: Set<String>) {
        order = configuration.startOrder
        after = Dictionary(configuration.processors.map { ($0.id, $0.boot.after) }, uniquingKeysWith: { a, _ in a })
        requires = Dictionary(configuration.processors.map { ($0.id, $0.boot.requires) }, uniquingKeysWith: { a, _ in a })
        self.pending = configuration.startOrder.filter { pending.contains($0) }
        ready = up
    }

    /// Whether every pending id was started or skipped and every started one has ended.
    var isDone: Bool { pending.isEmpty && started.isSubset(of: ready.union(failed)) }

    /// The first starts.
    mutating func begin() -> [Action] { advance() }

    /// The start job of `id` succeeded and it is ready.
    mutating func ready(_ id: String) -> [Action] {
        ready.insert(id)
        return advance()
    }

    /// The start job of `id` failed (refused, the kernel refused, readiness timed out).
    mutating func failed(_ id: String) -> [Action] {
        failed.insert(id)
        return advance()
    }

    private mutating func advance() -> [Action] {
        var actions: [Action] = []
        var progress = true
        while progress {
            progress = false
            for id in pending {
                let needs = requires[id] ?? []
                // `Requires=` a processor that is neither ready nor about to start, or that failed.
                if let missing = needs.first(where: { failed.contains($0) || (!ready.contains($0) && !pending.contains($0) && !started.contains($0)) }) {
                    let why = failed.contains(missing) ? "it requires '\(missing)', which failed to start" : "it requires '\(missing)', which is not up and not being started"
                    actions.append(.skip(id, reason: why))
                    failed.insert(id)
                    pending.removeAll { $0 == id }
                    progress = true
                    break
                }
                // Wait for everything it is ordered after that is being started (an `After=` on a
                // processor that nobody starts only orders, as in systemd).
                let waitsFor = (after[id] ?? []) + needs
                if waitsFor.allSatisfy({ ready.contains($0) || failed.contains($0) || (!pending.contains($0) && !started.contains($0)) }) {
                    actions.append(.start(id))
                    started.insert(id)
                    pending.removeAll { $0 == id }
                    progress = true
                    break
                }
            }
        }
        return actions
    }

    /// The ids to stop before `id`, in this order: every processor that requires it, directly or
    /// not, dependents first.
    static func stopCascade(_ id: String, configuration: Configuration) -> [String] {
        configuration.requiredBy(id)
    }

    /// `order` (the configuration's start order), for tests and Describe.
    var startOrder: [String] { order }
}
