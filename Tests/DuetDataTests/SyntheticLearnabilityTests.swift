// "A model can use the corpus": on a small corpus of six words, linear discriminants fitted
// on six speakers name the words of two unseen speakers from audio and from video well
// above chance, and the video confuses pat/bat/mat among themselves while the audio does not.
// (`duet data synth --check` runs the same check on the full 30-word corpus.)
import DuetData
import Foundation
import Testing

@Suite struct SyntheticLearnabilityTests {
    @Test func wordsAreRecoverableFromAudioAndFromVideo() throws {
        let folder = synthScratchPath()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var options = SyntheticCorpusOptions()
        options.speakers = 8
        options.words = ["pat", "bat", "mat", "fan", "sea", "moon"]
        options.clipsPerSpeaker = 4 * options.words.count
        options.sentenceFraction = 0
        options.validFraction = 0
        options.testFraction = 0.25
        let corpus = try SyntheticCorpus(options)
        let summary = try corpus.write(to: folder)
        let report = try corpus.check(summary.clips, root: folder)
        print(report)
        #expect(report.testClips == 48 && report.trainClips == 144)
        #expect(report.audioAccuracy > 3 * report.chance, "audio \(report.audioAccuracy)")
        #expect(report.videoAccuracy > 2 * report.chance, "video \(report.videoAccuracy)")
        let group = ["pat", "bat", "mat"]
        let video = try #require(report.groupAccuracy(group, video: true))
        let audio = try #require(report.groupAccuracy(group, video: false))
        // The lips place p/b/m words in their group but cannot pick the word within it; the
        // sound can.
        #expect(video.withinGroup > 0.6, "video within the group \(video.withinGroup)")
        #expect(video.exact < 0.6 * video.withinGroup, "video exact \(video.exact)")
        #expect(audio.exact > 0.6 && audio.exact > video.exact + 0.2, "audio exact \(audio.exact), video \(video.exact)")
    }
}
