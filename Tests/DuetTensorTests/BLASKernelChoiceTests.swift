// The kernel set the tool asks OpenBLAS for when OpenBLAS's own detection falls back.
import Foundation
import Testing
@testable import DuetTensor

struct BLASKernelChoiceTests {
    let avx512bf16: Set<String> = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16"]

    @Test func aPrescottFallbackOnAnAVX512ProcessorSwitchesToItsKernels() {
        let choice = BLASKernelChoice.decide(chosen: "Prescott", cpuFlags: avx512bf16, environment: [:])
        #expect(choice == BLASKernelChoice(chosen: "Prescott", recommended: "Cooperlake"))
        let noBF16 = BLASKernelChoice.decide(chosen: "Prescott", cpuFlags: avx512bf16.subtracting(["avx512_bf16"]), environment: [:])
        #expect(noBF16?.recommended == "SkylakeX")
        let avx2Only = BLASKernelChoice.decide(chosen: "Nehalem", cpuFlags: ["avx", "avx2", "fma"], environment: [:])
        #expect(avx2Only?.recommended == "Haswell")
    }

    @Test func aCapableChoiceIsKept() {
        #expect(BLASKernelChoice.decide(chosen: "Cooperlake", cpuFlags: avx512bf16, environment: [:]) == nil)
        #expect(BLASKernelChoice.decide(chosen: "Zen", cpuFlags: ["avx2", "fma"], environment: [:]) == nil)
        #expect(BLASKernelChoice.decide(chosen: "Haswell", cpuFlags: ["avx2", "fma"], environment: [:]) == nil)
        // Below AVX2 there is nothing better to ask for.
        #expect(BLASKernelChoice.decide(chosen: "Prescott", cpuFlags: ["sse3", "avx"], environment: [:]) == nil)
    }

    @Test func theUsersOwnSettingWins() {
        #expect(BLASKernelChoice.decide(chosen: "Haswell", cpuFlags: avx512bf16, environment: ["OPENBLAS_CORETYPE": "Haswell"]) == nil)
        #expect(BLASKernelChoice.decide(chosen: "Prescott", cpuFlags: avx512bf16, environment: ["DUET_OPENBLAS_AUTO": "0"]) == nil)
        // The process started again does not switch a second time.
        #expect(BLASKernelChoice.decide(chosen: "Prescott", cpuFlags: avx512bf16, environment: ["DUET_OPENBLAS_FALLBACK": "Prescott"]) == nil)
    }

    @Test func flagsAreReadFromTheFirstFlagsLine() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cpuinfo-\(UUID().uuidString)")
        try "processor\t: 0\nmodel name\t: test\nflags\t\t: fpu sse3 avx2 fma\nbugs\t\t: none\n\nflags\t\t: other\n"
            .write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(BLASKernelChoice.cpuFlags(cpuinfo: file.path) == ["fpu", "sse3", "avx2", "fma"])
        #expect(BLASKernelChoice.cpuFlags(cpuinfo: "/nonexistent/cpuinfo").isEmpty)
    }
}

struct BLASThreadTimeoutTests {
    @Test func theSpinIsCutUnlessTheUserChose() {
        #expect(BLASThreadTimeout.decide(environment: [:]) == "4")
        #expect(BLASThreadTimeout.decide(environment: ["OPENBLAS_CORETYPE": "Haswell"]) == "4")
        #expect(BLASThreadTimeout.decide(environment: ["OPENBLAS_THREAD_TIMEOUT": "20"]) == nil)
        #expect(BLASThreadTimeout.decide(environment: ["DUET_OPENBLAS_AUTO": "0"]) == nil)
    }

    @Test func theBenchmarkNamesTheSpinItRanWith() {
        #expect(BLASThreadTimeout.describe(environment: ["OPENBLAS_THREAD_TIMEOUT": "4"]).contains("2^4 cycles"))
        #expect(BLASThreadTimeout.describe(environment: [:]).contains("default"))
    }
}
