// Runs the tool with the OpenBLAS settings Duet recommends: the kernel set BLASKernelChoice picks
// and the worker spin BLASThreadTimeout picks. OpenBLAS reads OPENBLAS_CORETYPE and
// OPENBLAS_THREAD_TIMEOUT only while it loads, so the variables are set and the same executable
// started again in place (execv keeps the process id, the arguments and the rest of the
// environment); the started process finds them set and carries on.
import DuetTensor
import Foundation

enum OpenBLASKernelSwitch {
    /// Returns only when no switch is needed or the executable cannot be started again.
    static func executeAgainIfNeeded() {
        let environment = ProcessInfo.processInfo.environment
        var settings: [(String, String)] = []
        if let choice = BLASKernelChoice.decide(chosen: BLASThreads.coreName, cpuFlags: BLASKernelChoice.cpuFlags(),
                                                environment: environment) {
            FileHandle.standardError.write(Data("duet: \(choice.explanation)\n".utf8))
            settings += [("OPENBLAS_CORETYPE", choice.recommended), (BLASKernelChoice.fallbackVariable, choice.chosen)]
        }
        if let timeout = BLASThreadTimeout.decide(environment: environment) {
            settings.append((BLASThreadTimeout.variable, timeout))
        }
        guard !settings.isEmpty else { return }
        for (name, value) in settings { setenv(name, value, 1) }
        let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", arguments)
        // Still here: the executable could not be started again; carry on with OpenBLAS's own settings.
        for (name, _) in settings { unsetenv(name) }
        FileHandle.standardError.write(Data("duet: could not restart itself (errno \(errno)); keeping OpenBLAS's own settings\n".utf8))
    }
}
