import Foundation
import Glibc
import RprocBus
import RprocEventLoop
import Testing
@testable import RprocDaemon

/// ListCoredumps, DescribeCoredump and OpenCoredump over a private socket, backed by a real store.
@Suite struct CrashCoredumpBusTests {
    final class Server: @unchecked Sendable {
        let loop: EventLoop
        let tree: CrashBoardTree
        let store: CoredumpStore
        var socket: String { tree.base + "/control" }
        private var registry: ObjectRegistry?
        private var server: PrivateBusServer?

        init() throws {
            tree = try CrashBoardTree()
            store = CoredumpStore(stateDirectory: tree.stateDirectory)
            loop = try EventLoop.spawn(name: "crash-bus-test")
            let done = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var failure: (any Error)?
            loop.post { [self] in
                do {
                    let registry = ObjectRegistry(loop: loop)
                    registry.authorize = { _ throws(BusError) in }
                    let methods = CoredumpBusMethods.methods(store: store) { name throws(BusError) in
                        guard name == "m4" || name == "remoteproc0" else {
                            throw BusError(name: "org.daybreak.RemoteProc1.Error.NoSuchProcessor", message: "No remote processor is called '\(name)'.")
                        }
                    }
                    registry.addObject("/org/daybreak/RemoteProc1", interfaces: [BusInterface("org.daybreak.RemoteProc1.Manager", methods: methods)])
                    self.registry = registry
                    self.server = try PrivateBusServer(loop: loop, registry: registry, listen: .path(socket))
                } catch {
                    failure = error
                }
                done.signal()
            }
            done.wait()
            if let failure { throw failure }
        }

        func close() {
            let done = DispatchSemaphore(value: 0)
            loop.post { [self] in
                server?.close()
                server = nil
                registry = nil
                done.signal()
            }
            done.wait()
            loop.exit(0)
            loop.join()
        }

        func call(_ member: String, _ argument: String) throws -> [BusValue] {
            try BusClient(.socket(socket)).call(
                path: "/org/daybreak/RemoteProc1", interface: "org.daybreak.RemoteProc1.Manager", member: member, arguments: [.string(argument)])
        }
    }

    @Test func listDescribeOpenAndTheirErrors() throws {
        let server = try Server()
        defer { server.close() }
        #expect(try server.call("ListCoredumps", "") == [.array(BusType("(sssttss)")!, [])])
        let metadata = CoredumpMetadata(
            name: "m4", device: "remoteproc0", devcoredump: "devcd1", firmware: "m4.elf", firmwareSHA256: "ab", crashType: .fatalError,
            crashCount: 2, bootCount: 5, time: 1_796_112_565_000_000, size: 0, kernelLog: ["x"], trace: ["y"])
        let (entry, _) = try server.store.store(Array("ELF core".utf8), metadata: metadata, retention: .init())

        let listed = try server.call("ListCoredumps", "m4")
        #expect(listed == [.array(BusType("(sssttss)")!, [
            .structure([.string(entry.id), .string("remoteproc0"), .string("m4"), .uint64(1_796_112_565_000_000), .uint64(8),
                        .string("fatal error"), .string("m4.elf")]),
        ])])
        #expect(throws: BusError.self) { try server.call("ListCoredumps", "gpu") }

        let described = try #require(try server.call("DescribeCoredump", entry.id).first?.string)
        #expect(described.contains("\"firmwareSHA256\": \"ab\""))

        let fd = try #require(try server.call("OpenCoredump", entry.id).first?.unixFD)
        defer { Glibc.close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(fd, &buffer, 64)
        #expect(String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self) == "ELF core")

        do {
            _ = try server.call("OpenCoredump", "m4/../../../etc/shadow")
            Issue.record("a path outside the store was opened")
        } catch let error as BusError {
            #expect(error.name == CoredumpBusMethods.noSuchCoredump)
        }
        do {
            _ = try server.call("DescribeCoredump", "m4/none")
            Issue.record("an unknown id was described")
        } catch let error as BusError {
            #expect(error.name == CoredumpBusMethods.noSuchCoredump)
            #expect(error.message.contains("rprocctl coredump list"))
        }
    }
}
