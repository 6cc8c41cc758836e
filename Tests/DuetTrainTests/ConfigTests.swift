// Config tests: recipes resolve; unknown keys, wrong types and bad values give one line naming the
// key (and the file and line); `--set` overrides; resolved YAML and JSON read back equal.
import Foundation
import Testing
import DuetData
@testable import DuetTrain

private let configsFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("configs", isDirectory: true)

private func recipes() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: configsFolder.path)
        .filter { $0.hasSuffix(".yaml") }.sorted()
        .map { configsFolder.appendingPathComponent($0).path }
}

/// The error that decoding `yaml` with `overrides` throws (an Issue when it throws none).
private func configError(_ yaml: String, file: String = "test.yaml", overrides: [String] = []) -> ConfigError? {
    do {
        _ = try RunConfig(yaml: yaml, file: file, overrides: overrides)
        Issue.record("expected a ConfigError for \(yaml) \(overrides)")
        return nil
    } catch {
        #expect(!error.description.contains("\n"), "one line: \(error.description)")
        return error
    }
}

/// A file in a fresh temporary folder.
private func temporaryFile(_ name: String, contents: String) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("duet-config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let url = folder.appendingPathComponent(name)
    try contents.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}

@Suite("Config")
struct ConfigTests {
    @Test func everyRecipeResolvesAndRoundTrips() throws {
        let files = try recipes()
        for name in ["audiomae-tiny", "videomae-tiny", "audiomae-base", "videomae-base", "raven-tiny", "raven-base"] {
            #expect(files.contains { $0.hasSuffix("/\(name).yaml") }, "configs/\(name).yaml")
        }
        for file in files {
            let config = try RunConfig.load(contentsOf: file)
            #expect(try RunConfig(yaml: config.yaml) == config, "\(file)")
        }
    }

    @Test func recipesHoldThePapersNumbers() throws {
        let audio = try RunConfig.load(contentsOf: configsFolder.appendingPathComponent("audiomae-base.yaml").path)
        #expect(audio.model.audio.dim == 768 && audio.model.audio.depth == 12 && audio.model.audio.heads == 12)
        #expect(audio.model.audio.mels == 128 && audio.model.audio.frames == 1024 && audio.model.audio.patch == 16)
        #expect(audio.masking.ratio == 0.8 && audio.objective.name == "mae-audio")
        #expect(audio.model.decoder.dim == 512 && audio.model.decoder.depth == 16 && audio.model.decoder.heads == 16)
        #expect(abs(audio.optim.lr - 2e-4 * Double(audio.effectiveBatchSize) / 256) < 1e-12)
        let video = try RunConfig.load(contentsOf: configsFolder.appendingPathComponent("videomae-base.yaml").path)
        #expect(video.masking.kind == .tube && video.masking.ratio == 0.9 && video.objective.name == "mae-video")
        #expect(video.model.video.frames == 16 && video.model.video.tubelet == 2 && video.model.video.patch == 16)
        #expect(video.model.decoder.dim == 384 && video.model.decoder.depth == 4)
        #expect(abs(video.optim.lr - 1.5e-4 * Double(video.effectiveBatchSize) / 256) < 1e-12)
    }

    @Test func emptyFileIsTheDefaults() throws {
        #expect(try RunConfig(yaml: "") == RunConfig())
        #expect(try RunConfig(yaml: "model:\noptim: {}\n") == RunConfig())
        try RunConfig().validate()
        var changed = RunConfig()
        changed.optim.lr = -1
        #expect(throws: ConfigError.invalidValue(file: "<config>", line: nil, keyPath: "optim.lr",
                                                 reason: "must be positive, got -1.0")) { try changed.validate() }
    }

    @Test func partialSectionsKeepTheOtherDefaults() throws {
        let config = try RunConfig(yaml: "model:\n  audio:\n    depth: 2\noptim:\n  lr: 3e-4\n")
        var expected = RunConfig()
        expected.model.audio.depth = 2
        expected.optim.lr = 3e-4
        #expect(config == expected)
    }

    @Test func unknownKeyAtTheTopSuggestsTheNearest() {
        let error = configError("nme: x\n")
        #expect(error == .unknownKey(file: "test.yaml", line: 1, keyPath: "nme", suggestion: "name",
                                     validKeys: RunConfig.fields.map(\.key)))
        #expect(error?.description == "test.yaml:1: unknown key nme; did you mean name?")
    }

    @Test func unknownNestedKeySuggestsTheNearest() {
        let error = configError("seed: 1\noptim:\n  learning_rate: 0.1\n")
        #expect(error?.description == "test.yaml:3: unknown key optim.learning_rate; did you mean optim.lr?")
        #expect(error?.keyPath == "optim.learning_rate")
        #expect(configError("model:\n  audio:\n    dpth: 2\n")?.description
                == "test.yaml:3: unknown key model.audio.dpth; did you mean model.audio.depth?")
        #expect(configError("train:\n  batchSize: 2\n")?.description
                == "test.yaml:2: unknown key train.batchSize; did you mean train.batch_size?")
    }

    @Test func unknownKeyWithNothingNearListsTheValidKeys() {
        #expect(configError("schedule:\n  zzz: 1\n")?.description
                == "test.yaml:2: unknown key schedule.zzz; valid keys here: kind, warmup_steps, min_lr")
    }

    @Test func nearestKeyKnowsTyposAbbreviationsPrefixesAndCase() {
        let optim = OptimConfig.fields.map(\.key)
        #expect(nearestKey(to: "learning_rate", among: optim) == "lr")
        #expect(nearestKey(to: "wd", among: optim) == "weight_decay")
        #expect(nearestKey(to: "momentom", among: optim) == "momentum")
        #expect(nearestKey(to: "weightDecay", among: optim) == "weight_decay")
        #expect(nearestKey(to: "warmup", among: ScheduleConfig.fields.map(\.key)) == "warmup_steps")
        #expect(nearestKey(to: "zzz", among: optim) == nil)
        #expect(editDistance("ab", "ba") == 1 && editDistance("kitten", "sitting") == 3)
    }

    @Test func wrongTypesNameTheKeyTheExpectedKindAndTheValue() {
        #expect(configError("optim:\n  lr: fast\n")?.description == "test.yaml:2: optim.lr: expected a number, got 'fast'")
        #expect(configError("train:\n  steps: 2.5\n")?.description
                == "test.yaml:2: train.steps: expected an integer, got '2.5'")
        #expect(configError("objective:\n  norm_pix_loss: maybe\n")?.description
                == "test.yaml:2: objective.norm_pix_loss: expected true or false, got 'maybe'")
        #expect(configError("optim: 3\n")?.description == "test.yaml:1: optim: expected a mapping of keys, got '3'")
        #expect(configError("optim:\n  betas: 0.9\n")?.description == "test.yaml:2: optim.betas: expected a list, got '0.9'")
        #expect(configError("optim:\n  betas: [0.9, x]\n")?.keyPath == "optim.betas[1]")
        #expect(configError("optim:\n  lr:\n")?.description == "test.yaml:2: optim.lr: expected a number, got nothing")
        #expect(configError("name: [a]\n")?.description == "test.yaml:1: name: expected a string, got a list")
        #expect(configError("- 1\n")?.description == "test.yaml: (top level): expected a mapping of keys, got a list")
    }

    @Test func choicesListTheirValues() {
        #expect(configError("schedule:\n  kind: cosin\n")?.description
                == "test.yaml:2: schedule.kind: must be one of cosine, constant, linear, got 'cosin' (did you mean cosine?)")
        #expect(configError("objective:\n  name: mae-audo\n")?.description
                == "test.yaml:2: objective.name: must be one of \(ObjectiveConfig.names.joined(separator: ", ")), got 'mae-audo' (did you mean mae-audio?)")
    }

    @Test func syntheticClipsNameTheCorpusManifests() throws {
        #expect(try RunConfig(yaml: "name: x\n").data.syntheticClips == .all)
        let sentences = try RunConfig(yaml: "name: x\n", overrides: ["data.synthetic_clips=sentences"]).data.syntheticClips
        #expect(sentences == .sentences)
        #expect(["train", "valid"].map(SyntheticClips.sentences.manifest) == ["sentences-train.tsv", "sentences-valid.tsv"])
        #expect(SyntheticClips.words.manifest(split: "valid") == "words-valid.tsv")
        #expect(SyntheticClips.all.manifest(split: "train") == "train.tsv")
        #expect(configError("data:\n  synthetic_clips: sentence\n")?.description
                == "test.yaml:2: data.synthetic_clips: must be one of all, words, sentences, got 'sentence' (did you mean sentences?)")
    }

    @Test func videoNormReachesTheDatasetInTrainingAndEvaluation() throws {
        let plain = try RunConfig(yaml: "name: x\n")
        #expect(plain.data.videoNorm == .dataset)
        #expect(!LoaderBatchSource.datasetOptions(for: plain, training: true).video.centredOverTime)
        let centred = try RunConfig(yaml: "name: x\n", overrides: ["data.video_norm=clip_mean"])
        for training in [true, false] {
            #expect(LoaderBatchSource.datasetOptions(for: centred, training: training).video.centredOverTime)
        }
        #expect(configError("data:\n  video_norm: clip\n")?.description
                == "test.yaml:2: data.video_norm: must be one of dataset, clip_mean, got 'clip' (did you mean clip_mean?)")
    }

    @Test func wordClipsPerSpeakerIsCheckedAgainstTheOtherDataKeys() throws {
        #expect(try RunConfig(yaml: "name: x\n").data.wordClipsPerSpeaker == 0)
        #expect(try RunConfig(yaml: "name: x\ndata:\n  word_clips_per_speaker: 240\n").data.wordClipsPerSpeaker == 240)
        #expect(configError("data:\n  word_clips_per_speaker: -1\n")?.description
                == "test.yaml:2: data.word_clips_per_speaker: must be 0 (the default corpus) or 1...10000 clips, got -1")
        #expect(configError("data:\n  manifest: a.tsv\n  word_clips_per_speaker: 240\n")?.description.contains("set it to 0 with data.manifest") == true)
        #expect(configError("data:\n  synthetic_clips: sentences\n  word_clips_per_speaker: 240\n")?.description.contains("one-word clips only") == true)
        #expect(configError("task:\n  kind: ctc\ndata:\n  word_clips_per_speaker: 240\n")?.description
                == "test.yaml:4: data.word_clips_per_speaker: that corpus holds one-word clips only; a ctc task reads sentences")
        // The default corpus's 24 speakers (16 for training), 2 one-word clips each.
        let cache = freshFolder("word-clips")
        defer { try? FileManager.default.removeItem(at: cache) }
        let corpus = try SyntheticCorpusCache.corpus(seed: 3, wordClipsPerSpeaker: 2, in: cache) { _ in }
        #expect(corpus.lastPathComponent == "synthetic-v1-words2-seed3")
        let words = try Manifest.load(contentsOf: corpus.appendingPathComponent("words-train.tsv").path)
        let sentences = try Manifest.load(contentsOf: corpus.appendingPathComponent("sentences-train.tsv").path)
        let test = try Manifest.load(contentsOf: corpus.appendingPathComponent("words-test.tsv").path)
        #expect(words.count == 16 * 2 && sentences.count == 0 && test.count == 4 * 2)
        #expect(try SyntheticCorpusCache.corpus(seed: 3, wordClipsPerSpeaker: 2, in: cache) { _ in Issue.record("made twice") } == corpus)
    }

    @Test func unlabelledSpeakersReadTheirOwnCorpus() throws {
        #expect(try RunConfig(yaml: "name: x\n").data.unlabelledSpeakers == 0)
        #expect(configError("data:\n  unlabelled_speakers: 3\n")?.description
                == "test.yaml:2: data.unlabelled_speakers: must be 0 (the labelled corpus) or 7...10000 speakers, got 3")
        #expect(configError("data:\n  manifest: a.tsv\n  unlabelled_speakers: 40\n")?.description.contains("set it to 0 with data.manifest") == true)
        #expect(configError("data:\n  synthetic_clips: words\n  unlabelled_speakers: 40\n")?.description.contains("sentences only") == true)
        #expect(configError("task:\n  kind: word\ndata:\n  unlabelled_speakers: 40\n")?.description.contains("fine-tunes read the labelled corpus") == true)
        // Seven speakers (4 for training) × 16 sentences, seeded apart from the labelled corpus.
        let cache = freshFolder("unlabelled")
        defer { try? FileManager.default.removeItem(at: cache) }
        let corpus = try SyntheticCorpusCache.unlabelled(speakers: 7, seed: 3, in: cache) { _ in }
        #expect(corpus.lastPathComponent == "synthetic-v1-unlabelled7-seed10")
        let train = try Manifest.load(contentsOf: corpus.appendingPathComponent("sentences-train.tsv").path)
        let words = try Manifest.load(contentsOf: corpus.appendingPathComponent("words-train.tsv").path)
        #expect(train.count % 16 == 0 && train.count >= 4 * 16 && words.count == 0)
        #expect(SyntheticSpeaker(seed: 10, index: 0) != SyntheticSpeaker(seed: 3, index: 0))
        // A second call finds it.
        #expect(try SyntheticCorpusCache.unlabelled(speakers: 7, seed: 3, in: cache) { _ in Issue.record("made twice") } == corpus)
    }

    @Test func aKeyGivenTwiceIsAnError() {
        #expect(configError("seed: 1\nseed: 2\n")?.description == "test.yaml:2: seed: given twice")
    }

    @Test(arguments: [
        ("optim.lr=-1e-3", "optim.lr", "must be positive, got -0.001"),
        ("optim.lr=0", "optim.lr", "must be positive, got 0.0"),
        ("data.label_fraction=0", "data.label_fraction", "must be in (0, 1], got 0.0"),
        ("data.decode_size=32", "data.decode_size", "must be at least model.video.size (224), the crop cut from it, got 32"),
        ("data.augment.time_masks=-1", "data.augment.time_masks", "must be zero or more, got -1"),
        ("data.augment.contrast=1", "data.augment.contrast", "must be in [0, 1): a contrast factor within 1 ± it, got 1.0"),
        ("data.augment.brightness=-0.5", "data.augment.brightness", "must be zero or more, got -0.5"),
        ("task.layer_decay=0", "task.layer_decay", "must be in (0, 1], got 0.0"),
        ("task.beam_size=0", "task.beam_size", "must be positive, got 0"),
        ("masking.ratio=1", "masking.ratio", "must be in (0, 1), got 1.0"),
        ("masking.ratio=0", "masking.ratio", "must be in (0, 1), got 0.0"),
        ("masking.block_size=0", "masking.block_size", "must be positive, got 0"),
        ("masking.span_length=-2", "masking.span_length", "must be positive, got -2"),
        ("model.video.drop_path=1", "model.video.drop_path", "must be in [0, 1), got 1.0"),
        ("train.batch_size=0", "train.batch_size", "must be positive, got 0"),
        ("train.steps=-5", "train.steps", "must be positive, got -5"),
        ("train.grad_accumulation=0", "train.grad_accumulation", "must be positive, got 0"),
        ("train.clip_grad=0", "train.clip_grad", "must be positive, got 0.0"),
        ("train.keep_checkpoints=0", "train.keep_checkpoints", "must be positive, got 0"),
        ("train.eval_every=-1", "train.eval_every", "must be zero or more, got -1"),
        ("model.audio.depth=0", "model.audio.depth", "must be positive, got 0"),
        ("model.decoder.heads=0", "model.decoder.heads", "must be positive, got 0"),
        ("model.audio.heads=5", "model.audio.dim", "must be a positive multiple of model.audio.heads (5), got 192"),
        ("model.video.dim=100", "model.video.dim", "must be a positive multiple of model.video.heads (3), got 100"),
        ("model.video.size=100", "model.video.size", "must be a positive multiple of model.video.patch (16), got 100"),
        ("model.video.frames=15", "model.video.frames", "must be a positive multiple of model.video.tubelet (2), got 15"),
        ("model.audio.frames=1000", "model.audio.frames", "must be a positive multiple of model.audio.patch (16), got 1000"),
        ("data.mels=64", "model.audio.mels",
         "must equal data.mels (64): the towers read the filterbanks the loader makes, got 128"),
        ("data.clip_seconds=0", "data.clip_seconds", "must be positive, got 0.0"),
        ("data.max_bad_fraction=2", "data.max_bad_fraction", "must be in [0, 1], got 2.0"),
        ("data.manifest=''", "data.manifest", "must be a path, or null for the synthetic corpus"),
        ("optim.betas=[0.9]", "optim.betas", "must be two numbers [beta1, beta2], got 1"),
        ("optim.betas=[0.9, 1.5]", "optim.betas[1]", "must be in [0, 1), got 1.5"),
        ("optim.eps=0", "optim.eps", "must be positive, got 0.0"),
        ("optim.weight_decay=-0.1", "optim.weight_decay", "must be zero or more, got -0.1"),
        ("schedule.warmup_steps=5000", "schedule.warmup_steps", "must not exceed train.steps (1000), got 5000"),
        ("schedule.min_lr=1", "schedule.min_lr", "must not exceed optim.lr (0.00015), got 1.0"),
        ("seed=-1", "seed", "must be zero or more, got -1"),
        ("name=a/b", "name", "must be a non-empty name without '/', got 'a/b'"),
    ])
    func validationNamesTheKey(override: String, keyPath: String, reason: String) {
        let error = configError("", overrides: [override])
        #expect(error == .invalidValue(file: "--set \(override)", line: nil, keyPath: keyPath, reason: reason)
                || error == .invalidValue(file: "test.yaml", line: nil, keyPath: keyPath, reason: reason))
    }

    @Test func taskRulesAcrossSections() {
        #expect(configError("task:\n  kind: ctc\n  modality: audiovisual\n")?.description
                == "test.yaml:2: task.kind: ctc runs on one modality (task.modality video or audio); audio-visual fusion is for word tasks")
        #expect(configError("task:\n  kind: word\ntrain:\n  probe_every: 10\n")?.description.contains(
            "train.probe_every: must be 0 in a fine-tuning run (task)") == true)
        #expect(configError("task:\n  kind: wrod\n")?.description.contains("did you mean word?") == true)
    }

    @Test func validationErrorsFromAFileNameItsLine() {
        #expect(configError("seed: 3\noptim:\n  lr: -0.5\n")?.description == "test.yaml:3: optim.lr: must be positive, got -0.5")
    }

    @Test func overridesSetNestedValuesAndMakeMissingSections() throws {
        let config = try RunConfig(yaml: "optim:\n  lr: 0.1\n", overrides: [
            "optim.lr=3e-4", "model.audio.depth=2", "data.manifest=/x.tsv", "optim.betas=[0.8, 0.9]",
            "train.clip_grad=1.0", "name=yes", "seed=1", "seed=2",
        ])
        #expect(config.optim.lr == 3e-4)
        #expect(config.model.audio.depth == 2)
        #expect(config.data.manifest == "/x.tsv")
        #expect(config.optim.betas == [0.8, 0.9])
        #expect(config.train.clipGrad == 1.0)
        #expect(config.name == "yes")
        #expect(config.seed == 2)
        let cleared = try RunConfig(yaml: "data:\n  manifest: /y.tsv\n", overrides: ["data.manifest="])
        #expect(cleared.data.manifest == nil)
        let whole = try RunConfig(yaml: "", overrides: ["model.decoder={dim: 64, heads: 4}"])
        #expect(whole.model.decoder.dim == 64 && whole.model.decoder.heads == 4 && whole.model.decoder.depth == 4)
    }

    @Test func overrideOfAnUnknownKeyNamesTheOverride() {
        #expect(configError("", overrides: ["optim.learning_rate=1e-3"])?.description
                == "--set optim.learning_rate=1e-3: unknown key optim.learning_rate; did you mean optim.lr?")
        #expect(configError("", overrides: ["optm.lr=1e-3"])?.description
                == "--set optm.lr=1e-3: unknown key optm; did you mean optim?")
        #expect(configError("", overrides: ["optim.lr=fast"])?.description
                == "--set optim.lr=fast: optim.lr: expected a number, got 'fast'")
    }

    @Test func errorsBlameTheOverrideOnlyForWhatItSet() {
        let file = "model:\n  decoder:\n    dim: 64\noptim:\n  lr: -1\n"
        #expect(configError(file, overrides: ["model.decoder={dim: 100}"])?.description
                == "--set model.decoder={dim: 100}: model.decoder.dim: must be a positive multiple of model.decoder.heads (3), got 100")
        #expect(configError(file, overrides: ["model.decoder.dim=96", "optim.eps=1e-6"])?.description
                == "test.yaml:5: optim.lr: must be positive, got -1.0")
        #expect(configError("optim:\n  zz: 1\n", overrides: ["optim.lr=1e-3"])?.description
                == "test.yaml:2: unknown key optim.zz; valid keys here: name, lr, betas, weight_decay, eps, momentum, frozen")
    }

    @Test func malformedOverridesSayWhy() {
        #expect(configError("", overrides: ["optim.lr"])
                == .invalidOverride(override: "optim.lr", reason: "expected KEY=VALUE, such as optim.lr=3e-4"))
        #expect(configError("", overrides: ["optim..lr=1"])?.description
                == "--set optim..lr=1: the key must be a dotted path such as optim.lr")
        #expect(configError("optim:\n  lr: 0.1\n", overrides: ["optim.lr.x=1"])?.description
                == "--set optim.lr.x=1: optim.lr is '0.1', not a section of keys")
        #expect(configError("", overrides: ["optim.lr.x=1"])?.description
                == "--set optim.lr.x=1: optim.lr: expected a number, got a mapping")
        #expect(configError("", overrides: ["optim.betas=[0.9"])?.description.hasPrefix(
            "--set optim.betas=[0.9: the value is not YAML: ") == true)
    }

    @Test func resolvedYAMLHasEveryKeyInSchemaOrderAndReadsBackEqual() throws {
        var config = RunConfig()
        config.name = "yes"
        config.seed = 7
        config.model.video.color = .gray
        config.masking.kind = .inverseBlock
        config.data.manifest = "/data/my clips: #1.tsv"
        config.optim.eps = 1e-8
        config.optim.betas = [0.5, 0.999]
        config.schedule.kind = .linear
        config.train.clipGrad = 3
        let yaml = config.yaml
        #expect(try RunConfig(yaml: yaml) == config)
        #expect(yaml.hasPrefix("name: \"yes\"\nseed: 7\nmodel:\n  audio:\n    dim: 192\n"))
        #expect(yaml.contains("\n  eps: 1.0e-08\n") && yaml.contains("\n  betas: [0.5, 0.999]\n"))
        #expect(yaml.contains("\n  kind: inverse_block\n") && yaml.contains("\n  clip_grad: 3.0\n"))
        #expect(yaml.contains("\n  manifest: \"/data/my clips: #1.tsv\"\n"))
        #expect(RunConfig().yaml.contains("\n  manifest: null\n  valid_manifest: null\n  clip_seconds: 10.0\n"))
    }

    /// What `duet config show` prints holds every value a config stores, each key once on its own
    /// line, and reads back equal; optional sections (`task`) are checked with their defaults in.
    /// Walks the config and its Codable tree (state.json's), so a new section or key needs no edit.
    @Test func resolvedYAMLWritesEveryStoredValueOnceOnItsOwnLine() throws {
        let config = try configWithEverySection()
        let written = try keyPaths(codableTree(config))
        let yaml = config.yaml
        // One line per key, each key once, and the same keys as the Codable tree.
        let lines = yamlKeyPaths(yaml)
        #expect(lines.count == written.count && Set(lines).count == lines.count)
        #expect(Set(lines) == Set(written.map(\.path)), "\(Set(lines).symmetricDifference(written.map(\.path)).sorted())")
        // Every value the structs store is written (a property missing from its section's `fields`
        // would be neither shown nor settable).
        let stored = storedValues(config, at: "")
        let leaves = written.filter(\.isLeaf).map(\.path).sorted()
        #expect(stored.count == leaves.count, "stored values \(stored) against written keys \(leaves)")
        #expect(try RunConfig(yaml: yaml) == config)
    }

    @Test func jsonUsesTheSameKeysAndReadsBackEqual() throws {
        var config = RunConfig()
        config.data.manifest = "/x.tsv"
        config.optim.lr = 3e-4
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(config)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains("\"batch_size\":8") && text.contains("\"clip_grad\":null"))
        #expect(try JSONDecoder().decode(RunConfig.self, from: json) == config)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(RunConfig.self, from: Data(#"{"optim": {"learning_rate": 1}}"#.utf8))
        }
    }

    @Test func malformedYAMLNamesTheFileAndLine() throws {
        let tabs = try temporaryFile("tabs.yaml", contents: "optim:\n\tlr: 0.1\n")
        let error = #expect(throws: ConfigError.self) { try RunConfig.load(contentsOf: tabs) }
        guard case .malformedYAML(let file, let line, _, _)? = error else {
            Issue.record("expected malformedYAML, got \(String(describing: error))")
            return
        }
        #expect(file == tabs && line == 2)
        #expect(error?.description.hasPrefix("\(tabs):2:") == true)

        let bracket = try temporaryFile("bracket.yaml", contents: "seed: 1\noptim:\n  betas: [0.9, 0.95\nname: x\n")
        let unclosed = #expect(throws: ConfigError.self) { try RunConfig.load(contentsOf: bracket) }
        guard case .malformedYAML(let file, let line?, _, let reason)? = unclosed else {
            Issue.record("expected malformedYAML, got \(String(describing: unclosed))")
            return
        }
        #expect(file == bracket && line >= 3 && !reason.isEmpty)
        #expect(unclosed?.description.contains("\n") == false)
    }

    @Test func missingFileNamesThePath() {
        let path = "/nonexistent/duet/config.yaml"
        let error = #expect(throws: ConfigError.self) { try RunConfig.load(contentsOf: path) }
        #expect(error == .unreadable(file: path, reason: "no such file"))
        #expect(error?.description == "/nonexistent/duet/config.yaml: cannot read the config: no such file")
    }

    @Test func checkingFilesNeedsTheManifest() throws {
        let yaml = "data:\n  manifest: /nonexistent/train.tsv\n"
        _ = try RunConfig(yaml: yaml)
        #expect(configErrorCheckingFiles(yaml)?.description
                == "test.yaml:2: data.manifest: no such file /nonexistent/train.tsv")
        let manifest = try temporaryFile("train.tsv", contents: "/\n")
        _ = try RunConfig(yaml: "data:\n  manifest: \(manifest)\n", checkingFiles: true)
    }

    private func configErrorCheckingFiles(_ yaml: String) -> ConfigError? {
        #expect(throws: ConfigError.self) { try RunConfig(yaml: yaml, file: "test.yaml", checkingFiles: true) }
    }
}

// MARK: - Walking a config

/// One key of a written config: its dotted path, and whether it holds a value (not a section).
private struct WrittenKey {
    let path: String
    let isLeaf: Bool
}

/// The config as the Codable tree that state.json holds: nested dictionaries, NSNull for null.
private func codableTree(_ config: RunConfig) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as? [String: Any] ?? [:]
}

/// Every key of `tree`, each section followed by its keys.
private func keyPaths(_ tree: [String: Any], at prefix: String = "") -> [WrittenKey] {
    tree.keys.sorted().flatMap { name -> [WrittenKey] in
        let path = prefix.isEmpty ? name : "\(prefix).\(name)"
        if let section = tree[name] as? [String: Any], !section.isEmpty {
            return [WrittenKey(path: path, isLeaf: false)] + keyPaths(section, at: path)
        }
        return [WrittenKey(path: path, isLeaf: true)]
    }
}

/// The dotted path of each line of written YAML, from its indentation (two spaces a level).
private func yamlKeyPaths(_ yaml: String) -> [String] {
    var stack: [String] = []
    return yaml.split(separator: "\n").map { line in
        let depth = line.prefix { $0 == " " }.count / 2
        let key = line.drop { $0 == " " }.prefix { $0 != ":" }
        stack = Array(stack.prefix(depth)) + [String(key)]
        return stack.joined(separator: ".")
    }
}

/// The stored values of a config struct, by property path: a section's properties are walked
/// (a tower's `transformer` too, though its keys are written beside the tower's own); any other
/// value, a list or a null optional included, is one value.
private func storedValues(_ value: Any, at path: String) -> [String] {
    if value is any ConfigSection {
        return Mirror(reflecting: value).children.flatMap { storedValues($0.value, at: "\(path).\($0.label ?? "?")") }
    }
    let mirror = Mirror(reflecting: value)
    if mirror.displayStyle == .optional, let wrapped = mirror.children.first?.value, wrapped is any ConfigSection {
        return storedValues(wrapped, at: path)
    }
    return [path]
}

/// The default config with every optional section present at its defaults: `KEY={}` is tried on
/// every null key; a section takes it, a value refuses a mapping. A section whose defaults do not
/// decode and validate fails the test.
private func configWithEverySection() throws -> RunConfig {
    var overrides: [String] = []
    var tried = Set<String>()
    var config = RunConfig()
    while true {
        let tree = try codableTree(config)
        guard let key = keyPaths(tree).first(where: { $0.isLeaf && !tried.contains($0.path) && isNull(tree, $0.path) }) else { break }
        tried.insert(key.path)
        if let filled = try decoding(overrides + ["\(key.path)={}"]) {
            config = filled
            overrides.append("\(key.path)={}")
        }
    }
    #expect(overrides.contains("task={}"), "the walk finds the optional task section")
    return config
}

/// The default config with `overrides`, or nil when one gives a mapping to a key that holds a value.
private func decoding(_ overrides: [String]) throws(ConfigError) -> RunConfig? {
    do {
        return try RunConfig(yaml: "", overrides: overrides)
    } catch {
        if case .typeMismatch = error { return nil }
        throw error
    }
}

private func isNull(_ tree: [String: Any], _ path: String) -> Bool {
    var node: Any = tree
    for key in path.split(separator: ".") {
        guard let value = (node as? [String: Any])?[String(key)] else { return false }
        node = value
    }
    return node is NSNull
}
