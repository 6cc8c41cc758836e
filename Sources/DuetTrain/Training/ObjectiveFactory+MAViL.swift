// MAViL from a run's config: stage 1 (towers, fusion, heads, pixel decoders) or stage 2 (a fresh
// student whose decoders regress the fused features of the frozen teacher at objective.teacher).
import DuetModels
import DuetNN
import DuetObjectives

extension ObjectiveFactory {
    static func makeMAViL(for config: RunConfig, store: ParameterStore) throws(ConfigError) -> any PretrainingObjective {
        let options = config.objective.mavil
        let (audioGrid, videoGrid) = (tokenGrid(for: config, modality: .audio), videoTokenGrid(for: config))
        let audioMasking = RandomMasking(tokens: audioGrid.tokens, ratio: Float(options.audioMaskRatio))
        // One token a frame: whole frames are hidden in time spans (RAVEn's and data2vec's
        // masking of a frame sequence); tubelets are hidden at random, as MAViL does.
        let videoMasking: any MaskingStrategy = config.model.video.frontEnd == .lipResNet
            ? TimeSpanMasking(tokens: videoGrid.tokens, ratio: Float(options.videoMaskRatio), spanLength: config.masking.spanLength)
            : RandomMasking(tokens: videoGrid.tokens, ratio: Float(options.videoMaskRatio))
        let videoTower = videoTowerBuilder(for: config)
        let dropPath = (Float(config.model.audio.dropPath), Float(config.model.video.dropPath))
        let (audioSize, videoSize) = (size(config.model.audio.transformer), size(config.model.video.transformer))
        if options.stage == 1 {
            let weights = MAViL.Weights(interTemperature: Float(options.interTemperature), intraTemperature: Float(options.intraTemperature),
                                        inter: Float(options.interWeight), intra: Float(options.intraWeight))
            return MAViL(store: store, audioGrid: audioGrid, videoGrid: videoGrid, audioSize: audioSize, videoSize: videoSize,
                         fusionDepth: options.fusionDepth, decoderSize: size(config.model.decoder), projectionDim: options.projectionDim,
                         audioMasking: audioMasking, videoMasking: videoMasking, weights: weights,
                         normalizeTargets: config.objective.normPixLoss, dropPath: dropPath, videoTower: videoTower)
        }
        guard let spec = config.objective.teacher else {
            throw .invalidValue(file: "<config>", line: nil, keyPath: "objective.teacher",
                                reason: "MAViL stage 2 needs a stage-1 checkpoint: --set objective.teacher=RUN/checkpoints/latest")
        }
        let teacher = try TeacherCheckpoint.loadMAViL(spec, audioGrid: audioGrid, videoGrid: videoGrid)
        return MAViLStage2(store: store, audioGrid: audioGrid, videoGrid: videoGrid, audioSize: audioSize, videoSize: videoSize,
                           fusionDepth: options.fusionDepth, decoderSize: size(config.model.decoder), teacher: teacher.towers,
                           teacherStore: teacher.store, audioMasking: audioMasking, videoMasking: videoMasking, dropPath: dropPath,
                           videoTower: videoTower)
    }
}
