// optim.frozen: the named sub-modules keep their starting values through training while the rest
// learns, and a prefix that names nothing stops the run with the key.
import DuetNN
import Foundation
import Testing
@testable import DuetTrain

@Suite struct FrozenParametersTests {
    @Test func frozenSubModulesKeepTheirStartingValues() throws {
        var config = tinyAudioConfig(steps: 4)
        config.optim.frozen = ["patch_embed", "blocks.0.attn"]
        config.optim.weightDecay = 0.5  // decoupled decay would move a frozen weight if it were applied
        let start = try ObjectiveFactory.makeObjective(for: config).store
        let trainer = try makeTrainer(config)
        try trainer.train()
        let trained = trainer.objective.store
        let frozen = trained.names.filter { $0.hasPrefix("patch_embed.") || $0.hasPrefix("blocks.0.attn.") }
        #expect(frozen.count >= 4, "\(frozen)")
        for name in frozen { #expect(trained[name]!.value.scalars == start[name]!.value.scalars, "\(name)") }
        for name in ["blocks.0.mlp.fc1.weight", "blocks.0.norm1.weight", "decoder_pred.weight"] {
            #expect(trained[name]!.value.scalars != start[name]!.value.scalars, "\(name)")
        }
    }

    @Test func aPrefixThatNamesNothingIsAConfigError() throws {
        var config = tinyAudioConfig(steps: 4)
        config.optim.frozen = ["video_encoder.frontend"]
        #expect { try makeTrainer(config) } throws: { error in
            "\(error)".contains("optim.frozen: 'video_encoder.frontend' names no trainable parameter of this run")
        }
        #expect(try RunConfig(yaml: "name: x\n", overrides: ["optim.frozen=[video_encoder.frontend]"]).optim.frozen == ["video_encoder.frontend"])
        #expect(throws: ConfigError.self) { try RunConfig(yaml: "name: x\n", overrides: ["optim.frozen=[blocks.]"]) }
    }
}
