import RprocFirmware
import Testing

@testable import KernelSim

/// Every row of the §2.3 operation × state table, in each flavour.
@Suite struct StateTableTests {
    @Test(arguments: allFlavours)
    func offlineStartBootsToRunningWithPowerOne(_ f: KernelFlavour) {
        let s = Sim(flavour: f)
        #expect(s.state == "offline\n")
        #expect(s.write("\(Sim.rproc0)/state", "start") == .success(5))
        #expect(s.state == "running\n")
        #expect(s.power == 1)
        #expect(s.logged("remoteproc remoteproc0: remote processor m4 is now up"))
    }

    @Test(arguments: allFlavours)
    func offlineStartBootErrorRestoresPowerZero(_ f: KernelFlavour) {
        let s = Sim(flavour: f, files: [:])
        #expect(s.write("\(Sim.rproc0)/state", "start").errno == .ENOENT)
        #expect(s.state == "offline\n")
        #expect(s.power == 0)
        #expect(s.logged("remoteproc remoteproc0: Boot failed: -2"))
    }

    @Test(arguments: allFlavours)
    func offlineStopAndDetachAreEINVAL(_ f: KernelFlavour) {
        let s = Sim(flavour: f)
        #expect(s.write("\(Sim.rproc0)/state", "stop").errno == .EINVAL)
        #expect(s.write("\(Sim.rproc0)/state", "detach").errno == .EINVAL)
        #expect(s.power == 0)
    }

    @Test(arguments: allFlavours)
    func runningStartIncrementsPowerAndOneStopKeepsItRunning(_ f: KernelFlavour) {
        let s = Sim(flavour: f)
        s.write("\(Sim.rproc0)/state", "start")
        #expect(s.write("\(Sim.rproc0)/state", "start") == .success(5))
        #expect(s.power == 2)
        #expect(s.write("\(Sim.rproc0)/state", "stop") == .success(4))
        #expect(s.state == "running\n")
        #expect(s.power == 1)
        #expect(s.write("\(Sim.rproc0)/state", "stop") == .success(4))
        #expect(s.state == "offline\n")
        #expect(s.power == 0)
        #expect(s.logged("stopped remote processor m4"))
    }

    @Test(arguments: allFlavours)
    func runningDetachIsEINVAL(_ f: KernelFlavour) {
        let s = Sim(flavour: f)
        s.write("\(Sim.rproc0)/state", "start")
        #expect(s.write("\(Sim.rproc0)/state", "detach").errno == .EINVAL)
        #expect(s.power == 1)
    }

    @Test(arguments: allFlavours)
    func attachedStartStopDetach(_ f: KernelFlavour) {
        let s = Sim(flavour: f, processors: [standardProcessor { $0.initialState = .detached }])
        #expect(s.state == "detached\n")
        #expect(s.write("\(Sim.rproc0)/state", "start") == .success(5))
        #expect(s.state == "attached\n")
        #expect(s.logged("remoteproc remoteproc0: attaching to m4"))
        #expect(s.logged("remote processor m4 is now attached"))
        #expect(s.write("\(Sim.rproc0)/state", "start") == .success(5))
        #expect(s.power == 2)
        #expect(s.write("\(Sim.rproc0)/state", "detach") == .success(6))
        #expect(s.state == "attached\n")
        #expect(s.write("\(Sim.rproc0)/state", "detach") == .success(6))
        #expect(s.state == "detached\n")
        #expect(s.power == 0)
        // attach again, then stop powers it off
        s.write("\(Sim.rproc0)/state", "start")
        #expect(s.write("\(Sim.rproc0)/state", "stop") == .success(4))
        #expect(s.state == "offline\n")
    }

    @Test(arguments: allFlavours)
    func attachedDetachWithoutDetachOpIsEINVAL(_ f: KernelFlavour) {
        let s = Sim(flavour: f, processors: [standardProcessor { $0.initialState = .detached; $0.hasDetach = false }])
        s.write("\(Sim.rproc0)/state", "start")
        #expect(s.write("\(Sim.rproc0)/state", "detach").errno == .EINVAL)
        #expect(s.state == "attached\n")
        #expect(s.power == 1)
    }

    @Test(arguments: allFlavours)
    func detachedStopAndDetachAreEINVAL(_ f: KernelFlavour) {
        let s = Sim(flavour: f, processors: [standardProcessor { $0.initialState = .detached }])
        #expect(s.write("\(Sim.rproc0)/state", "stop").errno == .EINVAL)
        #expect(s.write("\(Sim.rproc0)/state", "detach").errno == .EINVAL)
    }

    @Test(arguments: allFlavours)
    func crashedRow(_ f: KernelFlavour) {
        let s = Sim(flavour: f)
        s.startAndCrash(type: 1, recovery: false)
        #expect(s.state == "crashed\n")
        #expect(s.write("\(Sim.rproc0)/state", "start") == .success(5))
        #expect(s.state == "crashed\n")
        #expect(s.power == 2)
        #expect(s.write("\(Sim.rproc0)/state", "detach").errno == .EINVAL)
        let stop = s.write("\(Sim.rproc0)/state", "stop")
        if f == .classic {
            #expect(stop.errno == .EINVAL)
            #expect(s.power == 2)
        } else {
            #expect(stop == .success(4))
            #expect(s.state == "crashed\n")
            #expect(s.power == 1)
            #expect(s.write("\(Sim.rproc0)/state", "stop") == .success(4))
            #expect(s.state == "offline\n")
            #expect(s.power == 0)
            #expect(!s.exists("\(Sim.debug0)/trace0"))
        }
    }

    @Test(arguments: allFlavours)
    func failedRecoveryIsStuck(_ f: KernelFlavour) {
        let s = Sim(flavour: f)
        s.write("\(Sim.rproc0)/state", "start")
        s.firmware.files["/lib/firmware/m4.elf"] = nil
        s.write("\(Sim.debug0)/crash", "2")
        s.settle()
        #expect(s.state == "offline\n")
        #expect(s.power == 1)
        #expect(s.logged("remoteproc remoteproc0: recovering m4"))
        #expect(s.logged("request_firmware failed: -2"))
        s.firmware.files["/lib/firmware/m4.elf"] = .success(standardImage)
        #expect(s.write("\(Sim.rproc0)/state", "start") == .success(5))
        #expect(s.state == "offline\n")
        #expect(s.power == 2)
        #expect(s.write("\(Sim.rproc0)/state", "stop").errno == .EINVAL)
    }

    @Test(arguments: allFlavours)
    func deletedOrDeletingStartIsENODEV(_ f: KernelFlavour) {
        let s = Sim(flavour: f) { $0.deletionWindowMs = 50 }
        guard case .pending(let removal) = s.submit(".sim/remove", "remoteproc0") else {
            Issue.record("removal should block until the device is gone")
            return
        }
        s.advance(ms: 1)
        if f == .classic { #expect(s.state == "deleted\n") } else { #expect(s.state == "offline\n") }
        #expect(s.write("\(Sim.rproc0)/state", "start").errno == .ENODEV)
        #expect(s.logged(f == .classic ? "can't boot deleted rproc m4" : "can't boot deleting rproc m4"))
        #expect(s.wait(removal) == .success(11))
        #expect(!s.exists(Sim.rproc0))
    }

    @Test(arguments: allFlavours)
    func suspendedStartIncrementsStopIsEINVAL(_ f: KernelFlavour) {
        let s = Sim(flavour: f)
        // Only omap_remoteproc's runtime PM suspends a running processor (power ≥ 1).
        s.write("\(Sim.rproc0)/state", "start")
        s.kernel.processors[0].state = .suspended
        #expect(s.state == "suspended\n")
        #expect(s.write("\(Sim.rproc0)/state", "start") == .success(5))
        #expect(s.power == 2)
        #expect(s.write("\(Sim.rproc0)/state", "stop").errno == .EINVAL)
        #expect(s.write("\(Sim.rproc0)/state", "detach").errno == .EINVAL)
    }

    @Test(arguments: allFlavours)
    func failingStartAndStopKnobs(_ f: KernelFlavour) {
        let s = Sim(flavour: f)
        s.write(".sim/remoteproc0/fail_next_start", "1\n")
        #expect(s.write("\(Sim.rproc0)/state", "start").errno == .EIO)
        #expect(s.logged("can't start rproc m4: -5"))
        #expect(s.logged("Boot failed: -5"))
        #expect(s.power == 0)
        #expect(!s.exists("\(Sim.debug0)/trace0"))
        #expect(s.write("\(Sim.rproc0)/state", "start") == .success(5))
        s.write(".sim/remoteproc0/fail_next_stop", "1")
        #expect(s.write("\(Sim.rproc0)/state", "stop").errno == .EIO)
        #expect(s.logged("can't stop rproc: -5"))
        #expect(s.state == "running\n")
        #expect(s.power == 1)
        #expect(s.write("\(Sim.rproc0)/state", "stop") == .success(4))
    }
}
