// data2vec 2.0 from a run's config: per modality a student encoder and convolutional decoder,
// the same built again in the EMA teacher's store, and the modality's masking (time spans of
// filterbank rows for audio, inverse blocks repeated over time for tubelets, time spans of
// frames for the lip-reading tower).
import DuetModels
import DuetNN
import DuetObjectives

extension ObjectiveFactory {
    static func makeData2Vec2(for config: RunConfig, store: ParameterStore) throws(ConfigError) -> any PretrainingObjective {
        let d2v = config.objective.data2vec2
        let teacherStore = ParameterStore(seed: UInt64(config.seed))
        var branches: [(Modality, any MultiMaskTower, ConvolutionalDecoder, any MultiMaskTower, any MaskingStrategy, [Int])] = []
        for modality in [Modality.audio, .video] where d2v.modalities.contains(modality.rawValue) {
            let tower = modality == .audio ? config.model.audio.transformer : config.model.video.transformer
            let dropPath = Float(modality == .audio ? config.model.audio.dropPath : config.model.video.dropPath)
            let lipReading = modality == .video && config.model.video.frontEnd == .lipResNet
            // Whole frames for the lip-reading tower (its input, one token a frame), else tubelets.
            let grid = modality == .audio ? tokenGrid(for: config, modality: .audio) : videoTokenGrid(for: config)
            let video = config.model.video
            // Student and teacher are built by the same code, so their names and order agree; the
            // teacher has no stochastic depth (it runs in training mode for batch statistics).
            func build(_ b: ParameterBuilder, dropPath: Float) -> (any MultiMaskTower, ConvolutionalDecoder) {
                let m = modality.rawValue
                let encoder: any MultiMaskTower = lipReading
                    ? lipReadingTower(b.scope("\(m)_encoder"), config: config, dropPath: dropPath)
                    : MAEEncoder(b.scope("\(m)_encoder"), grid: grid, size: size(tower), dropPath: dropPath)
                let decoder = ConvolutionalDecoder(b.scope("\(m)_decoder"), inFeatures: tower.dim, dim: d2v.decoderDim,
                                                   outFeatures: tower.dim, grid: lipReading ? [video.frames] : decoderGrid(grid),
                                                   layers: d2v.decoderLayers, kernel: d2v.decoderKernel, groups: d2v.decoderGroups)
                return (encoder, decoder)
            }
            let student = build(store.builder, dropPath: dropPath), teacher = build(teacherStore.builder, dropPath: 0)
            let input = Array(grid.inputShape(batch: 1).dropFirst())
            let masking = lipReading
                ? TimeSpanMasking(tokens: video.frames, ratio: Float(d2v.videoMaskRatio), spanLength: config.masking.spanLength)
                : data2vec2Masking(config, grid: grid)
            branches.append((modality, student.0, student.1, teacher.0, masking, input))
        }
        store.finalize()
        teacherStore.finalize()
        var options = Data2Vec2.Options()
        options.clones = d2v.clones
        options.topK = d2v.topK
        options.layerNormTargets = d2v.layerNormTargets
        options.momentum = .linear(from: d2v.emaStart, to: d2v.emaEnd, steps: d2v.emaAnnealSteps)
        options.maskNoiseStd = Float(d2v.maskNoiseStd)
        options.minTargetVariance = d2v.minTargetVar
        options.minPredictionVariance = d2v.minPredVar
        options.collapseCheckAfter = d2v.collapseCheckAfter
        let parts = branches.map {
            Data2Vec2.Branch(modality: $0.0, encoder: $0.1, decoder: $0.2, teacherEncoder: $0.3, masking: $0.4, input: $0.5)
        }
        do {
            return try Data2Vec2(store: store, teacherStore: teacherStore, branches: parts, options: options)
        } catch {
            // Both stores come from the same code above: a mismatch is a bug, not a user's error.
            preconditionFailure("data2vec2 teacher layout: \(error)")
        }
    }

    /// The grid the decoder's convolutions run over: (time, frequency) patches of a
    /// spectrogram, (time, height, width) tubelets of a video.
    static func decoderGrid(_ grid: TokenGrid) -> [Int] {
        switch grid {
        case let .image(_, h, w, p): return [h / p, w / p]
        case let .video(_, t, h, w, tt, p): return [t / tt, h / p, w / p]
        }
    }

    /// Audio: time spans of `masking.span_length` patch rows (data2vec 2.0's audio masking, on
    /// the filterbank's time axis); video: inverse blocks of `masking.block_size` on each frame's
    /// patch grid, the same at every time step.
    static func data2vec2Masking(_ config: RunConfig, grid: TokenGrid) -> any MaskingStrategy {
        let d2v = config.objective.data2vec2
        switch grid {
        case let .image(_, h, w, p):
            let time = TimeSpanMasking(tokens: h / p, ratio: Float(d2v.audioMaskRatio), spanLength: config.masking.spanLength)
            return RowExtendedMasking(time: time, perRow: w / p)
        case let .video(_, t, h, w, tt, p):
            let blocks = InverseBlockMasking(height: h / p, width: w / p, ratio: Float(d2v.videoMaskRatio),
                                             blockSize: config.masking.blockSize)
            return TubeExtendedMasking(frames: t / tt, spatial: blocks)
        }
    }
}
