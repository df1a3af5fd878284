// The committed shell completions are what the binary generates, and NAME completes from rprocd.

import Foundation
import Testing

@Suite struct CompletionTests {
    @Test(arguments: [("bash", "rprocctl.bash"), ("zsh", "_rprocctl"), ("fish", "rprocctl.fish")])
    func committedScriptMatchesTheBinary(_ shell: String, _ file: String) throws {
        let generated = try Rprocctl.run("--generate-completion-script", shell)
        #expect(generated.status == 0)
        let committed = try String(
            contentsOf: Rprocctl.packageRoot.appendingPathComponent("Resources/completions/\(file)"), encoding: .utf8)
        #expect(generated.stdout == committed, "Resources/completions/\(file) is stale: regenerate it with 'rprocctl --generate-completion-script \(shell)'")
        for verb in ["status", "start", "set-firmware", "is-running", "monitor"] { #expect(committed.contains(verb)) }
    }

    @Test(.enabled(if: LabDaemon.available)) func processorNamesCompleteFromRprocd() throws {
        let lab = try LabDaemon()
        // What the bash script runs for `rprocctl --socket S start r<TAB>`.
        let words = ["rprocctl", "--socket", lab.socket, "start", "r"]
        let result = try Rprocctl.run(["---completion", "start", "--", "positional@0", "4", "1"] + words, environment: [:])
        #expect(result.status == 0, "\(result.stderr)")
        // Per processor in device order: the name, then the device, when they start with the word.
        #expect(result.stdout.split(separator: "\n") == ["remoteproc0", "r5f", "remoteproc1", "remoteproc2", "ro-core", "remoteproc3",
                                                         "remoteproc4", "remoteproc5", "remoteproc6"])
    }
}
