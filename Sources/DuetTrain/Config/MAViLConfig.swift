// `objective.mavil`: MAViL's masking ratios, fusion depth, contrastive head, temperatures and
// loss weights, and which stage runs (stage 2 also needs `objective.teacher`).
public struct MAViLConfig: ConfigSection, Equatable, Sendable {
    /// 1: reconstruction + contrastive; 2: regress a frozen stage-1 model's fused features.
    public var stage = 1
    /// Fraction of audio patches hidden (random masking, AudioMAE's 0.8).
    public var audioMaskRatio = 0.8
    /// Fraction of video tubelets hidden (random masking).
    public var videoMaskRatio = 0.8
    /// Joint transformer blocks over the concatenated audio and video tokens.
    public var fusionDepth = 2
    /// Width of the contrastive projection heads.
    public var projectionDim = 256
    /// InfoNCE temperatures: audio↔video within a view, and view↔view within a modality.
    public var interTemperature = 0.1
    public var intraTemperature = 0.1
    /// λ of each contrastive term (the reconstruction terms weigh 1); intra 0 uses one view.
    public var interWeight = 0.01
    public var intraWeight = 0.01

    public init() {}

    public static var fields: [ConfigField<Self>] {
        [.init("stage", \.stage), .init("audio_mask_ratio", \.audioMaskRatio), .init("video_mask_ratio", \.videoMaskRatio),
         .init("fusion_depth", \.fusionDepth), .init("projection_dim", \.projectionDim),
         .init("inter_temperature", \.interTemperature), .init("intra_temperature", \.intraTemperature),
         .init("inter_weight", \.interWeight), .init("intra_weight", \.intraWeight)]
    }

    public func validate(at path: ConfigPath) throws(ConfigError) {
        try path["stage"].require(stage == 1 || stage == 2, "must be 1 or 2, got \(stage)")
        try path["audio_mask_ratio"].requireFraction(audioMaskRatio, openAbove: true)
        try path["video_mask_ratio"].requireFraction(videoMaskRatio, openAbove: true)
        try path["fusion_depth"].requireNonNegative(fusionDepth)
        try path["projection_dim"].requirePositive(projectionDim)
        try path["inter_temperature"].requirePositive(interTemperature)
        try path["intra_temperature"].requirePositive(intraTemperature)
        try path["inter_weight"].requireNonNegative(interWeight)
        try path["intra_weight"].requireNonNegative(intraWeight)
    }
}
