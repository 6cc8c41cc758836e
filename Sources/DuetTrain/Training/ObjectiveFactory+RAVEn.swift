// `raven` from a run's config: the filterbank-frame audio tower, the lip-reading (or tubelet ViT)
// video tower, the three predictors and RAVEn's options, students and teachers built alike.
import DuetModels
import DuetNN
import DuetObjectives

extension ObjectiveFactory {
    /// `RunConfig.validate` has checked the towers fit RAVEn (one audio token per time step).
    static func makeRAVEn(for config: RunConfig, store: ParameterStore) -> RAVEn {
        let raven = config.objective.raven
        let audio = config.model.audio, video = config.model.video
        let framesPerStep = config.videoFramesPerStep
        var options = RAVEn.Options()
        options.targets = raven.targets == .braven ? .blockAverage : .output
        options.videoToAudioTargets = raven.videoToAudioTargets == .filterbank ? .filterbank : .teacher
        options.maskProbability = Float(config.masking.startProb)
        options.spanLength = config.masking.spanLength
        options.audioMaskProbability = raven.audioStartProb.map(Float.init)
        options.momentum = raven.momentum
        (options.videoToAudioWeight, options.audioToAudioWeight, options.audioToVideoWeight)
            = (Float(raven.weightV2A), Float(raven.weightA2A), Float(raven.weightA2V))
        let predictor = size(raven.predictor)
        var videoPredictor = predictor
        videoPredictor.depth = raven.videoPredictorDepth ?? predictor.depth
        return RAVEn(store: store, audioInput: [1, audio.frames, audio.mels],
                     videoInput: [video.color.channels, video.frames, video.size, video.size], videoFramesPerStep: framesPerStep,
                     predictors: RAVEn.PredictorSizes(videoToAudio: videoPredictor, audioToAudio: predictor, audioToVideo: predictor),
                     options: options) { root, isTeacher in
            // Teachers run without stochastic depth, as RAVEn turns their dropout off.
            let audioTower = filterbankFrameTower(root.scope("audio_encoder"), config: config, dropPath: isTeacher ? 0 : Float(audio.dropPath))
            let videoDropPath: Float = isTeacher ? 0 : Float(video.dropPath)
            let videoTower: any EncoderTower
            switch video.frontEnd {
            case .lipResNet:
                videoTower = lipReadingTower(root.scope("video_encoder"), config: config, dropPath: videoDropPath)
            case .tubelets:
                videoTower = MAEEncoder(root.scope("video_encoder"), grid: tokenGrid(for: config, modality: .video),
                                        size: size(video.transformer), classToken: false, dropPath: videoDropPath)
            }
            return (audioTower, videoTower)
        }
    }

    /// RAVEn's audio tower as `model.audio` (`tokens: frames`) describes it: one token per video
    /// time step, with the LayerScale of `objective.raven.layer_scale`; pretraining and
    /// fine-tuning build it here. `RunConfig.validate` has checked the frames fill whole tokens.
    static func filterbankFrameTower(_ b: ParameterBuilder, config: RunConfig, dropPath: Float) -> FilterbankFrameTower {
        let audio = config.model.audio
        guard let perToken = config.filterbankFramesPerAudioToken else { preconditionFailure("validate() checks data.fps for tokens: frames") }
        return FilterbankFrameTower(b, steps: audio.frames / perToken, framesPerToken: perToken, mels: audio.mels, size: size(audio.transformer),
                                    blocks: ravenBlocks(config, dropPath: dropPath))
    }

    /// RAVEn's video tower as `model.video` (`front_end: lip_resnet`) describes it, with the
    /// LayerScale of `objective.raven.layer_scale`: pretraining, fine-tuning and export build it
    /// here, so a checkpoint's tower loads name for name into each of them.
    static func lipReadingTower(_ b: ParameterBuilder, config: RunConfig, dropPath: Float) -> LipReadingTower {
        let video = config.model.video
        return LipReadingTower(b, frames: video.frames, size: size(video.transformer),
                               resnet: ResNetOptions.autoAVSR.width(video.resnetWidth),
                               blocks: ravenBlocks(config, dropPath: dropPath))
    }

    /// The towers' block options from `objective.raven`: LayerScale and rotary positions.
    static func ravenBlocks(_ config: RunConfig, dropPath: Float) -> BlockOptions {
        BlockOptions(layerScale: config.objective.raven.layerScale.map(Float.init), dropPath: dropPath,
                     rotaryPositions: config.objective.raven.positions == .rotary)
    }
}
