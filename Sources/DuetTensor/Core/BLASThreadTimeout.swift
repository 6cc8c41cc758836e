// How long OpenBLAS's worker threads spin after a call before they sleep. OpenBLAS 0.3.21 spins
// them for 2^28 cycles (about 0.1 s) by default, so after every product both workers busy-wait
// through the attention, layer norm and GELU kernels that Duet's own two threads run next, and
// the two cores are shared four ways. With the spin cut to 2^4 cycles a W1 step ran in 739–743 ms
// against 795–944 ms with the default, alternating the two in one session on the 2-core Zen 4
// host (`duet bench --only W1`). OpenBLAS reads `OPENBLAS_THREAD_TIMEOUT` (log2 of the cycles,
// 4 to 30) only while it loads, so the tool sets it and starts itself again, as it does for the
// kernel set (BLASKernelChoice).

public enum BLASThreadTimeout {
    /// The variable OpenBLAS reads.
    public static let variable = "OPENBLAS_THREAD_TIMEOUT"
    /// OpenBLAS's smallest setting: 2^4 cycles of spinning, then sleep until the next call.
    public static let recommended = "4"

    /// The value to set, or nil when the user set one or turned Duet's OpenBLAS adjustments off
    /// (`DUET_OPENBLAS_AUTO=0`).
    public static func decide(environment: [String: String]) -> String? {
        guard environment[variable] == nil, environment[BLASKernelChoice.switchVariable] != "0" else { return nil }
        return recommended
    }

    /// The spin OpenBLAS was loaded with, as the benchmark reports it.
    public static func describe(environment: [String: String]) -> String {
        guard let value = environment[variable] else { return "OpenBLAS's default thread spin (2^28 cycles)" }
        return "thread spin 2^\(value) cycles (\(variable)=\(value))"
    }
}
