// The caching allocator: a warm training step takes no new memory from the system.
import Testing
import DuetTestSupport
@testable import DuetTensor

@Suite struct AllocatorTests {
    @Test func bucketsArePowersOfTwo() {
        #expect(TensorAllocator.bucket(for: 1) == 16)
        #expect(TensorAllocator.bucket(for: 16) == 16)
        #expect(TensorAllocator.bucket(for: 17) == 32)
        #expect(TensorAllocator.bucket(for: 3136 * 192) == 1 << 20)
    }

    @Test func freedBuffersAreReused() {
        let allocator = TensorAllocator()
        withAllocator(allocator) {
            _ = Tensor.zeros([100])
            _ = Tensor.zeros([100])
        }
        #expect(allocator.stats.systemAllocations == 1)
        #expect(allocator.stats.cacheHits == 1)
        #expect(allocator.stats.liveBytes == 0)
    }

    /// Attention takes the scratch of all its ranges before they run, so every call takes the same
    /// buffers however many ranges the scheduler happens to run at once. (Taken inside the ranges,
    /// two ranges running together took two buffers where one after the other took one: a warm
    /// step under load then took one more 8 KB buffer than the first.)
    @Test func attentionTakesTheSameBuffersWhateverTheScheduling() {
        let q = Tensor.randomNormal([2, 2, 8, 8], stream: RandomStream(seed: 1)).requiringGrad()
        var counts = Set<Int>()
        for _ in 0..<200 {
            let allocator = TensorAllocator()
            withAllocator(allocator) { Tensor.attention(q, q, q).sum().backward() }
            counts.insert(allocator.stats.systemAllocations)
            q.grad = nil
        }
        #expect(counts.count == 1, "system allocations per forward and backward: \(counts.sorted())")
    }

    /// A small pre-LN transformer step (layer norm, attention, GELU MLP, loss, backward and an
    /// SGD update) asks the system for memory on the first step only; nothing it allocates
    /// depends on how the kernel threads are scheduled.
    @Test func warmTrainingStepAllocatesNothingNew() {
        let allocator = TensorAllocator()
        withAllocator(allocator) {
            let (b, n, d, heads) = (2, 8, 16, 2)
            let params = [
                Tensor.randomNormal([3 * d, d], std: 0.1, stream: RandomStream(seed: 1)),
                Tensor.zeros([3 * d]),
                Tensor.randomNormal([4 * d, d], std: 0.1, stream: RandomStream(seed: 2)),
                Tensor.randomNormal([d, 4 * d], std: 0.1, stream: RandomStream(seed: 3)),
                Tensor.ones([d]), Tensor.zeros([d]),
            ].map { $0.requiringGrad() }
            let x = Tensor.randomNormal([b, n, d], stream: RandomStream(seed: 4))
            func step() {
                for p in params { p.grad = nil }
                let h = x.layerNorm(weight: params[4], bias: params[5], eps: 1e-6)
                let qkv = Tensor.linear(h, weight: params[0], bias: params[1])
                    .reshaped([b, n, 3, heads, d / heads]).permuted([2, 0, 3, 1, 4])
                let (q, k, v) = (qkv.narrowed(axis: 0, start: 0, length: 1).reshaped([b, heads, n, d / heads]),
                                 qkv.narrowed(axis: 0, start: 1, length: 1).reshaped([b, heads, n, d / heads]),
                                 qkv.narrowed(axis: 0, start: 2, length: 1).reshaped([b, heads, n, d / heads]))
                let a = Tensor.attention(q, k, v).transposed(1, 2).reshaped([b, n, d]) + x
                let mlp = Tensor.linear(Tensor.linear(a, weight: params[2], activation: .gelu), weight: params[3])
                let loss = ((a + mlp) * (a + mlp)).mean()
                loss.backward()
                noGrad { for p in params { p.addInPlace(p.grad!, scale: -0.01) } }
            }
            step()
            let afterFirst = allocator.stats
            step()
            step()
            let afterThird = allocator.stats
            #expect(afterFirst.systemAllocations > 0)
            #expect(afterThird.systemAllocations == afterFirst.systemAllocations, "warm steps allocated \(afterThird.systemAllocations - afterFirst.systemAllocations) new buffers")
            #expect(afterThird.systemBytes == afterFirst.systemBytes)
        }
    }
}
