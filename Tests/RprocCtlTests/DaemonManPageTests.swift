// Resources/man/rprocctl.1 documents every daemon verb and its options.

import Foundation
import Testing

@Suite struct DaemonManPageTests {
    static let verbs = [
        "list", "status", "start", "stop", "restart", "detach", "attach", "recover", "set-firmware", "reset-failed", "show",
        "is-running", "monitor", "coredump list", "coredump info", "coredump dump", "logs", "wait-ready", "channels", "update",
        "rollback",
    ]

    @Test(arguments: verbs)
    func documentsTheVerbAndItsOptions(_ verb: String) throws {
        let page = ManPageTests.manPage
        let roff = verb.replacingOccurrences(of: "-", with: "\\-")
        #expect(page.contains("\n.B \(roff)\n") || page.contains("\n.BI \(roff) "), "rprocctl.1 does not describe \(verb)")
        let help = try Rprocctl.run(["help"] + verb.split(separator: " ").map(String.init)).stdout
        let options = Set(help.split(whereSeparator: { " ,\n[]<>='().".contains($0) }).filter { $0.hasPrefix("--") })
        #expect(options.contains("--socket"))
        for option in options {
            #expect(page.contains(option.replacingOccurrences(of: "-", with: "\\-")), "rprocctl.1 does not mention \(option) (\(verb))")
        }
    }
}
