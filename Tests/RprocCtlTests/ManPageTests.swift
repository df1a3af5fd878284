import Foundation
import Testing

@testable import RprocCtl

/// Resources/man/rprocctl.1 documents every option `--help` shows and every exit code.
@Suite struct ManPageTests {
    static let manPage: String =
        (try? String(contentsOf: Rprocctl.packageRoot.appendingPathComponent("Resources/man/rprocctl.1"), encoding: .utf8)) ?? ""

    @Test(arguments: ["inspect", "validate"])
    func documentsEveryOption(_ verb: String) throws {
        let help = try Rprocctl.run("help", verb).stdout
        let options = Set(help.split(whereSeparator: { " ,\n[]<>=".contains($0) }).filter { $0.hasPrefix("--") || ($0.count == 2 && $0.hasPrefix("-")) })
        #expect(options.contains("--json"))
        for option in options {
            let roff = option.replacingOccurrences(of: "-", with: "\\-")
            #expect(Self.manPage.contains(roff), "rprocctl.1 does not mention \(option)")
        }
    }

    @Test func documentsEveryExitCode() {
        for (status, _) in ExitStatus.table {
            #expect(Self.manPage.contains(".TP\n.B \(status.rawValue)\n"), "rprocctl.1 does not list exit code \(status.rawValue)")
        }
    }
}
