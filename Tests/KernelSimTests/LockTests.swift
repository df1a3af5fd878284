import RprocFirmware
import Testing

@testable import KernelSim

/// `rproc->lock`: writes queue behind the holder; reads never wait (§1.3, real-kernel-testing.md).
@Suite struct LockTests {
    @Test func stopDuringSlowStartWaitsThenGetsItsOwnAnswer() {
        let s = Sim()
        s.write(".sim/remoteproc0/start_delay_ms", "100")
        guard case .pending(let start) = s.submit("\(Sim.rproc0)/state", "start") else {
            Issue.record("a slow start must block")
            return
        }
        s.advance(ms: 10)
        #expect(s.state == "offline\n")
        guard case .pending(let stop) = s.submit("\(Sim.rproc0)/state", "stop") else {
            Issue.record("stop must queue on the lock")
            return
        }
        s.advance(ms: 50)
        #expect(s.kernel.processorSnapshots[0].lockHeld)
        #expect(s.kernel.processorSnapshots[0].lockWaiters == 1)
        #expect(s.kernel.result(of: start) == nil)
        #expect(s.kernel.result(of: stop) == nil)
        #expect(s.state == "offline\n")
        s.advance(ms: 40)
        #expect(s.kernel.result(of: start) == .success(5))
        #expect(s.kernel.result(of: stop) == .success(4))
        #expect(s.state == "offline\n")
        #expect(s.power == 0)
    }

    @Test func firmwareWriteDuringSlowStartGetsEBUSY() {
        let s = Sim()
        s.write(".sim/remoteproc0/start_delay_ms", "20")
        guard case .pending = s.submit("\(Sim.rproc0)/state", "start"),
            case .pending(let fw) = s.submit("\(Sim.rproc0)/firmware", "other.elf")
        else {
            Issue.record("both writes must block")
            return
        }
        #expect(s.wait(fw).errno == .EBUSY)
        #expect(s.logged("rproc-sim sim-rproc.0: can't change firmware while running"))
        #expect(s.read("\(Sim.rproc0)/firmware") == "m4.elf\n")
    }

    @Test func readsNeverWaitDuringASlowStop() {
        let s = Sim()
        s.write("\(Sim.rproc0)/state", "start")
        s.write(".sim/remoteproc0/stop_delay_ms", "30")
        guard case .pending(let stop) = s.submit("\(Sim.rproc0)/state", "stop") else {
            Issue.record("a slow stop must block")
            return
        }
        #expect(s.state == "running\n")
        #expect(s.read("\(Sim.rproc0)/firmware") == "m4.elf\n")
        #expect(s.wait(stop) == .success(4))
        #expect(s.state == "offline\n")
    }

    @Test func interruptedLockWaitReturnsEINTRForStateAndEINVALForFirmware() {
        let s = Sim()
        s.write(".sim/remoteproc0/start_delay_ms", "20")
        guard case .pending(let start) = s.submit("\(Sim.rproc0)/state", "start"),
            case .pending(let stop) = s.submit("\(Sim.rproc0)/state", "stop"),
            case .pending(let fw) = s.submit("\(Sim.rproc0)/firmware", "x")
        else {
            Issue.record("writes must block")
            return
        }
        #expect(!s.kernel.interrupt(start, now: s.now))
        #expect(s.kernel.interrupt(stop, now: s.now))
        #expect(s.kernel.result(of: stop) == .failure(.EINTR))
        #expect(s.kernel.interrupt(fw, now: s.now))
        #expect(s.kernel.result(of: fw) == .failure(.EINVAL))
        #expect(s.logged("remoteproc remoteproc0: can't lock rproc m4: -4"))
        #expect(s.wait(start) == .success(5))
        #expect(s.state == "running\n")
    }

    @Test func recoveryWriteTakesTheLockEvenWhenNotCrashed() {
        let s = Sim()
        s.write(".sim/remoteproc0/start_delay_ms", "20")
        guard case .pending(let start) = s.submit("\(Sim.rproc0)/state", "start"),
            case .pending(let rec) = s.submit("\(Sim.rproc0)/recovery", "recover")
        else {
            Issue.record("writes must block")
            return
        }
        #expect(s.wait(rec) == .success(7))
        #expect(s.kernel.result(of: start) == .success(5))
    }
}
