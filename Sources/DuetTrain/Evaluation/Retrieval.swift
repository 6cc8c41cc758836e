// Audio↔video retrieval: each clip's audio embedding must find its own video among all the
// split's videos (and back), by cosine similarity of mean-pooled features, as MAViL and CAV-MAE
// report it. Recall@k is the fraction of queries whose true match ranks within the first k.
import DuetTensor

public struct RetrievalRecall: Sendable, Equatable {
    /// Recall@k for audio queries over videos, by k.
    public var audioToVideo: [Int: Double]
    /// Recall@k for video queries over audios, by k.
    public var videoToAudio: [Int: Double]
    /// Queries (and candidates) compared; chance recall@k is k / count.
    public var count: Int

    /// Recall at each of `ks` between row i of `audio` and row i of `video` (both [N, D], one D).
    public init(audio: Tensor, video: Tensor, ks: [Int] = [1, 5]) {
        precondition(audio.shape.count == 2 && audio.shape == video.shape, "one audio row per video row, of one width: \(audio.shape), \(video.shape)")
        let similarity = noGrad {
            Tensor.matmul(audio.l2Normalized(axis: 1), video.l2Normalized(axis: 1), transposeB: true)
        }
        let n = audio.shape[0]
        let s = similarity.scalars
        // Rank of the true match = how many candidates score strictly higher (ties favour it).
        let audioRanks = (0..<n).map { q in (0..<n).filter { s[q * n + $0] > s[q * n + q] }.count }
        let videoRanks = (0..<n).map { q in (0..<n).filter { s[$0 * n + q] > s[q * n + q] }.count }
        func recall(_ ranks: [Int], _ k: Int) -> Double { Double(ranks.filter { $0 < k }.count) / Double(max(n, 1)) }
        audioToVideo = Dictionary(uniqueKeysWithValues: ks.map { ($0, recall(audioRanks, $0)) })
        videoToAudio = Dictionary(uniqueKeysWithValues: ks.map { ($0, recall(videoRanks, $0)) })
        count = n
    }
}
