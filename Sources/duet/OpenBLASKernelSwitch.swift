// Runs the tool on the kernel set BLASKernelChoice recommends: OpenBLAS reads OPENBLAS_CORETYPE
// only while it loads, so the variable is set and the same executable started again in place
// (execv keeps the process id, the arguments and the rest of the environment).
import DuetTensor
import Foundation

enum OpenBLASKernelSwitch {
    /// Returns only when no switch is needed or the executable cannot be started again.
    static func executeAgainIfNeeded() {
        let environment = ProcessInfo.processInfo.environment
        guard let choice = BLASKernelChoice.decide(chosen: BLASThreads.coreName, cpuFlags: BLASKernelChoice.cpuFlags(),
                                                   environment: environment) else { return }
        FileHandle.standardError.write(Data("duet: \(choice.explanation)\n".utf8))
        setenv("OPENBLAS_CORETYPE", choice.recommended, 1)
        setenv(BLASKernelChoice.fallbackVariable, choice.chosen, 1)
        let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", arguments)
        // Still here: the executable could not be started again; carry on with OpenBLAS's choice.
        unsetenv("OPENBLAS_CORETYPE")
        unsetenv(BLASKernelChoice.fallbackVariable)
        FileHandle.standardError.write(Data("duet: could not restart itself (errno \(errno)); keeping \(choice.chosen)\n".utf8))
    }
}
