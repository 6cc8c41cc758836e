// The widths fixed sine-cosine positions need: every tower, decoder and predictor a run builds
// with such a table must be as wide as a multiple of what the table's axes need (MAE's formulas),
// checked here so that a bad width is a config error naming its key, not a crash in the table.
import DuetNN

extension RunConfig {
    /// A fixed sine-cosine table the run builds: the key that sets its width, and its axes.
    struct PositionTable: Equatable {
        let key: String
        let width: Int
        /// 1 over time, 2 over a patch grid, 3 over tubelets (time and grid).
        let axes: Int
        /// The module, as the error names it.
        let module: String
    }

    /// The tables the run's objective (or fine-tuning task) builds, as ObjectiveFactory and
    /// FineTuning build its modules.
    var positionTables: [PositionTable] {
        let used = ObjectiveFactory.modalities(of: self)
        let pretraining = task == nil
        // RAVEn's audio tower reads one token a video frame; every other one reads patches.
        let audio = pretraining && objective.name == "raven"
            ? (axes: 1, module: "the filterbank-frame tower") : (axes: 2, module: "the patch tower")
        // The lip-reading front-end is built by RAVEn, data2vec2, MAViL, mae-video, mvd and
        // fine-tuning; mae-image cuts frames in patches; every other video tower reads tubelets.
        let video = buildsLipReadingTower
            ? (axes: 1, module: "the lip-reading tower")
            : pretraining && objective.name == "mae-image" ? (axes: 2, module: "the frame tower") : (axes: 3, module: "the tubelet tower")
        var tables: [PositionTable] = []
        if used.audio { tables.append(PositionTable(key: "model.audio.dim", width: model.audio.dim, axes: audio.axes, module: audio.module)) }
        if used.video { tables.append(PositionTable(key: "model.video.dim", width: model.video.dim, axes: video.axes, module: video.module)) }
        guard pretraining else { return tables }
        switch objective.name {
        case "raven":
            tables.append(PositionTable(key: "objective.raven.predictor.dim", width: objective.raven.predictor.dim, axes: 1,
                                        module: "RAVEn's predictors"))
        case "data2vec2":
            break  // Its decoder is convolutional and has no positions.
        default:
            // model.decoder decodes every tower the objective trains (MAViL's decoders both); a
            // video decoder's grid is 3-D, whole frames (tubelet 1) for a lip-reading tower too.
            let videoDecoderAxes = objective.name == "mae-image" ? 2 : 3
            let axes = max(used.audio ? audio.axes : 0, used.video ? videoDecoderAxes : 0)
            tables.append(PositionTable(key: "model.decoder.dim", width: model.decoder.dim, axes: axes, module: "the decoder"))
        }
        return tables
    }

    func validatePositionWidths(at path: ConfigPath) throws(ConfigError) {
        for table in positionTables {
            let multiple = SinCosPositionEmbedding.widthMultiple(axes: table.axes)
            let split: String
            switch table.axes {
            case 1: split = "are a sine half and a cosine half"
            case 2: split = "give half of it to each axis of the patch grid, in sine and cosine halves"
            default: split = "give a quarter of it to time and three quarters to the patch grid, in sine and cosine halves"
            }
            try path[table.key].require(table.width % multiple == 0,
                "must be a multiple of \(multiple): the fixed \(table.axes)-D sine-cosine positions of \(table.module) \(split), got \(table.width)")
        }
    }
}
