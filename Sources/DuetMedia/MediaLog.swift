// FFmpeg's own log output, routed through one callback installed once (the shim's, which writes
// "ffmpeg: " lines to standard error): quiet by default, louder when a tool asks.
import CFFmpeg
import Foundation

/// How much of FFmpeg's log output reaches standard error.
public enum MediaLog {
    public enum Level: Int32, Sendable, CaseIterable {
        case quiet = -8      // AV_LOG_QUIET
        case error = 16      // AV_LOG_ERROR
        case warning = 24    // AV_LOG_WARNING
        case info = 32       // AV_LOG_INFO
        case debug = 48      // AV_LOG_DEBUG
    }

    /// The level now in force. FFmpeg keeps it (an atomic int inside libavutil), so Duet holds
    /// no mutable state of its own for it.
    public static var level: Level {
        installOnce()
        return Level(rawValue: av_log_get_level()) ?? .quiet
    }

    /// Lets FFmpeg's messages at `level` and more severe through to standard error.
    public static func setLevel(_ level: Level) {
        installOnce()
        av_log_set_level(level.rawValue)
    }

    /// Installs the callback and the quiet default; every entry point of DuetMedia calls this.
    static func installOnce() { _ = installation }

    /// Quiet unless $DUET_FFMPEG_LOG names a level (`error`, `warning`, `info`, `debug`), which
    /// helps when a file fails and the reason FFmpeg gave is too short.
    private static let installation: Void = {
        let asked = ProcessInfo.processInfo.environment["DUET_FFMPEG_LOG"].flatMap { name in
            Level.allCases.first { "\($0)" == name.lowercased() }
        }
        av_log_set_level((asked ?? .quiet).rawValue)
        duet_install_log_callback()
    }()
}
