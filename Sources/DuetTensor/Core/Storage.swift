// Storage: the buffer behind a tensor. It owns a buffer from the caching allocator, or is a
// window into another storage (a parameter inside a model's arena).

/// A contiguous Float buffer. Owning storages return their buffer to the allocator when freed.
public final class Storage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    private let capacity: Int
    private let allocator: TensorAllocator?
    /// Keeps the storage a window looks into alive.
    private let parent: Storage?

    /// A new uninitialised buffer of `count` floats from the current allocator.
    public init(count: Int) {
        let a = TensorAllocator.current
        let (p, cap) = profiled(.allocator) { a.allocate(count: count) }
        pointer = p
        self.count = count
        capacity = cap
        allocator = a
        parent = nil
    }

    /// A window of `count` floats at `offset` inside `parent`, sharing its memory.
    public init(window parent: Storage, offset: Int, count: Int) {
        precondition(offset >= 0 && offset + count <= parent.count, "storage window out of range")
        pointer = parent.pointer + offset
        self.count = count
        capacity = 0
        allocator = nil
        self.parent = parent
    }

    deinit {
        guard let allocator else { return }
        profiled(.allocator) { allocator.release(pointer, capacity: capacity) }
    }
}
