// Tensor: a Float32, contiguous, row-major array with a shape, and its place in the autograd graph.

/// A Float32 tensor. Contiguous and row-major; views are only reshapes (they share storage).
/// Gradients flow through the dynamic graph recorded on the tensors (see Autograd.swift).
public final class Tensor: @unchecked Sendable, CustomStringConvertible {
    public let shape: [Int]
    public let storage: Storage
    /// Whether gradients are computed for this tensor.
    public internal(set) var requiresGrad: Bool
    /// The accumulated gradient of a leaf after `backward()`.
    public var grad: Tensor?
    /// How this tensor was made, when it was made by a differentiable op with gradients on.
    var node: GradNode?

    /// An uninitialised tensor of `shape` (kernels fill it).
    public init(uninitializedShape shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        self.shape = shape
        storage = Storage(count: shape.reduce(1, *))
        requiresGrad = false
    }

    /// A tensor over existing storage (a reshape or a window into an arena).
    public init(shape: [Int], storage: Storage, requiresGrad: Bool = false) {
        precondition(shape.reduce(1, *) == storage.count, "shape \(shape) does not match storage of \(storage.count)")
        self.shape = shape
        self.storage = storage
        self.requiresGrad = requiresGrad
    }

    /// A tensor holding `scalars` with `shape`.
    public convenience init(shape: [Int], scalars: [Float], requiresGrad: Bool = false) {
        precondition(shape.reduce(1, *) == scalars.count, "\(scalars.count) values do not fill shape \(shape)")
        self.init(uninitializedShape: shape)
        scalars.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: scalars.count) }
        }
        self.requiresGrad = requiresGrad
    }

    /// The number of elements.
    @inlinable public var count: Int { storage.count }
    @inlinable public var rank: Int { shape.count }
    /// The first element of the buffer. Valid while the tensor lives.
    @inlinable public var pointer: UnsafeMutablePointer<Float> { storage.pointer }

    /// The values in row-major order.
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// The single value of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item needs a one-element tensor, shape is \(shape)")
        return pointer[0]
    }

    /// Marks a leaf as trainable (or not). Only leaves may change.
    @discardableResult
    public func requiringGrad(_ flag: Bool = true) -> Tensor {
        precondition(node == nil, "requiresGrad can only be set on a leaf tensor")
        requiresGrad = flag
        return self
    }

    /// The size of axis `axis` (negative counts from the end).
    public func size(_ axis: Int) -> Int { shape[normalizedAxis(axis)] }

    /// An axis index in 0..<rank for a possibly negative axis.
    public func normalizedAxis(_ axis: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < rank, "axis \(axis) out of range for shape \(shape)")
        return a
    }

    public var description: String {
        let shown = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(\(shape), [\(shown)\(count > 8 ? ", …" : "")])"
    }
}

/// Row-major strides of `shape`.
@inlinable
public func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var s = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[i] = s
        s *= shape[i]
    }
    return strides
}
