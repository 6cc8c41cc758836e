// The settings of `raven` (Haliassos et al., 2022) and its BRAVEn variant (2024): which targets
// the teachers give, the masking, the EMA momentum and the weights of the three losses.
import DuetModels
import DuetNN

extension RAVEn {
    /// What the teachers' unmasked passes give as targets.
    public enum Targets: String, Sendable, Equatable, CaseIterable {
        /// The teacher encoder's output (after its final norm): RAVEn.
        case output = "raven"
        /// The mean of every block's output, instance-normalised over time: BRAVEn.
        case blockAverage = "braven"
    }

    /// What the video student predicts.
    public enum VideoToAudioTargets: String, Sendable, Equatable, CaseIterable {
        /// The audio teacher's targets (RAVEn, BRAVEn).
        case teacher
        /// The clip's own filterbank, each time step's frames side by side, instance-normalised
        /// over time (LiRA's acoustic targets, Ma et al. 2021, reduced to the log-mel frames).
        case filterbank
    }

    public struct Options: Sendable, Equatable {
        public var targets = Targets.output
        public var videoToAudioTargets = VideoToAudioTargets.teacher
        /// Each video frame starts a masked span with this probability (RAVEn: 0.2).
        public var maskProbability: Float = 0.2
        /// Frames per masked span (RAVEn: 3).
        public var spanLength = 3
        /// nil: the video mask, stretched over the audio tokens, masks the audio student too
        /// (RAVEn). A probability: the audio student draws its own mask with it (BRAVEn masks
        /// audio harder; USR's configs use 0.4).
        public var audioMaskProbability: Float?
        /// The teachers' momentum at step 0; it rises to 1 along a half cosine (BYOL's rule).
        public var momentum = 0.999
        /// The loss weights: video student → audio targets, audio student → audio targets,
        /// audio student → video targets.
        public var videoToAudioWeight: Float = 1
        public var audioToAudioWeight: Float = 1
        public var audioToVideoWeight: Float = 1

        public init() {}

        /// The momentum schedule of a run of `totalSteps` optimizer steps.
        public func momentumSchedule(totalSteps: Int) -> MomentumSchedule {
            .cosine(from: momentum, totalSteps: totalSteps)
        }
    }

    /// Widths and depths of the three predictors (RAVEn: 2 blocks each; BRAVEn: 1 for the video
    /// student's).
    public struct PredictorSizes: Sendable, Equatable {
        public var videoToAudio: TransformerSize
        public var audioToAudio: TransformerSize
        public var audioToVideo: TransformerSize

        public init(videoToAudio: TransformerSize, audioToAudio: TransformerSize, audioToVideo: TransformerSize) {
            self.videoToAudio = videoToAudio
            self.audioToAudio = audioToAudio
            self.audioToVideo = audioToVideo
        }
    }
}
