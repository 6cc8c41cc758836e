// `duet bench --only W6`: the prefetching loader's clips per second with one decoding thread and
// with one per core, on a generated stand-in corpus or on a manifest given with --w6-manifest.
import DuetData
import Foundation

enum LoaderBench {
    static func run(repeats: Int, manifest path: String?) throws -> [MediaTiming] {
        let manifest: Manifest
        if let path {
            manifest = try Manifest.load(contentsOf: path)
        } else {
            let folder = (NSTemporaryDirectory() as NSString).appendingPathComponent("duet_w6_corpus")
            manifest = try LoaderWorkload.corpus(folder: folder)
        }
        let dataset = try LoaderWorkload.dataset(manifest)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("W6 loader on \(manifest.file ?? "the corpus") (\(manifest.count) clips), batches of 16: 2.56 s, 128 mels, 88² gray; "
              + "median of \(repeats) batches after 3 warm-up")
        var timings: [MediaTiming] = []
        for workers in Set([1, cores]).sorted() {
            let t = try LoaderWorkload.measure(dataset, workers: workers, repeats: repeats)
            let name = "W6 loader \(workers) thread\(workers == 1 ? "" : "s")"
            print(name.padding(toLength: 52, withPad: " ", startingAt: 0)
                  + String(format: "%9.2f ms   %.1f clips/s", t.medianBatchMilliseconds, t.clipsPerSecond))
            timings.append(MediaTiming(name: name, milliseconds: t.medianBatchMilliseconds, unit: "clips", perSecond: t.clipsPerSecond))
        }
        return timings
    }
}
