// The version of Duet that a checkpoint's state.json records.

public enum DuetVersion {
    public static let current = "0.1.0"
}
