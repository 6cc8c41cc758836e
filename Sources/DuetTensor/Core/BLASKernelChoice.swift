// Which OpenBLAS kernel set a processor should run when OpenBLAS's own detection falls back to an
// older one: Debian's OpenBLAS 0.3.21 does not know recent Intel models (for example family 6
// model 207) and runs its SSE3 `Prescott` kernels on AVX-512 cores, 5.9× slower on a 2048³ sgemm
// (39.6 against 232 GFLOP/s measured here). OpenBLAS reads `OPENBLAS_CORETYPE` only while it
// loads, so the command-line tool applies the choice by setting it and executing itself again.
import Foundation

public struct BLASKernelChoice: Sendable, Equatable {
    /// The kernel set OpenBLAS chose on its own.
    public let chosen: String
    /// The kernel set to run instead (an `OPENBLAS_CORETYPE` name).
    public let recommended: String

    /// Set by the tool on the process it executes again: the kernel set OpenBLAS had chosen.
    public static let fallbackVariable = "DUET_OPENBLAS_FALLBACK"
    /// `0` keeps whatever OpenBLAS chose.
    public static let switchVariable = "DUET_OPENBLAS_AUTO"

    /// The better kernel set for a processor with `cpuFlags` (as /proc/cpuinfo spells them) when
    /// OpenBLAS chose `chosen`; nil when its choice is already as capable, when the user chose
    /// (`OPENBLAS_CORETYPE` set: some machines set it because older builds misbehave on them),
    /// or when `DUET_OPENBLAS_AUTO=0`.
    public static func decide(chosen: String, cpuFlags: Set<String>, environment: [String: String]) -> BLASKernelChoice? {
        guard environment["OPENBLAS_CORETYPE"] == nil, environment[switchVariable] != "0",
              environment[fallbackVariable] == nil else { return nil }
        guard let best = bestKernelSet(for: cpuFlags), level(of: chosen) < level(of: best) else { return nil }
        return BLASKernelChoice(chosen: chosen, recommended: best)
    }

    /// The most capable kernel set of OpenBLAS 0.3.21 the flags allow, nil below AVX2.
    static func bestKernelSet(for flags: Set<String>) -> String? {
        let avx512 = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
        if avx512 && flags.contains("avx512_bf16") { return "Cooperlake" }
        if avx512 { return "SkylakeX" }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        return nil
    }

    /// How wide a kernel set's sgemm runs: 3 AVX-512 with bf16, 2 AVX-512, 1 AVX2 + FMA, 0 older
    /// or unknown (so an unknown name is never kept over a known better one).
    static func level(of kernelSet: String) -> Int {
        switch kernelSet.lowercased() {
        case "cooperlake", "sapphirerapids": return 3
        case "skylakex": return 2
        case "haswell", "zen", "skylake": return 1
        default: return 0
        }
    }

    /// The processor's feature flags from /proc/cpuinfo's first `flags` line (empty where there
    /// is none: other systems keep OpenBLAS's choice).
    public static func cpuFlags(cpuinfo path: String = "/proc/cpuinfo") -> Set<String> {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// The line a run prints about it.
    public var explanation: String {
        "OpenBLAS chose its \(chosen) kernels on this processor, which runs \(recommended)'s; "
            + "using OPENBLAS_CORETYPE=\(recommended) (set OPENBLAS_CORETYPE, or \(Self.switchVariable)=0, to choose otherwise)"
    }
}
