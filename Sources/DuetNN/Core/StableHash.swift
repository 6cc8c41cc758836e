// FNV-1a over UTF-8: a hash of a name that is the same in every process (Swift's Hasher is
// seeded per run), used to key random streams by parameter and layer names.

public func stableHash(_ text: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return h
}
