package dev.tuneforge.cli;

import picocli.CommandLine.Option;

import java.util.List;
import java.util.Map;

/**
 * The recipe of {@code jobs create} and {@code pipelines create} ({@code @Mixin}): {@code --method}, the
 * hyperparameters of {@code --set}, and {@code --init-text}, prompt tuning's starting text, taken as it is: through
 * {@code --set} a text with a comma would become a list.
 */
final class RecipeOptions {

    @Option(names = "--method", paramLabel = "METHOD",
            description = {"lora (default), full, dpo (preference data only; --set beta=0.1, label_smoothing=0),",
                    "qlora (LoRA on a 4-bit base; --set double_quant=true; needs --runtime torch),",
                    "prompt_tuning (--set num_virtual_tokens=20, init=random; or --init-text TEXT) or",
                    "prefix_tuning (--set num_virtual_tokens=20, prefix_projection=false, encoder_hidden_size=N;",
                    "needs --runtime torch). Prompt and prefix tuning's learning_rate auto is 3e-2 and 1e-2."})
    String method;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = {"A hyperparameter, repeatable: epochs, batch_size, learning_rate, lora_r, lora_alpha,",
                    "target_modules=q_proj,v_proj, max_seq_length, ... (`auto` where allowed); a general dataset",
                    "mixed into every epoch against forgetting: mix={\"dataset_id\":\"ds_...\",\"fraction\":0.2}."})
    List<String> settings;

    @Option(names = "--init-text", paramLabel = "TEXT",
            description = "prompt_tuning: start the virtual tokens from this text's embeddings (init=text).")
    String initText;

    /** The hyperparameters to send. */
    Map<String, Object> hyperparameters() {
        Map<String, Object> values = Settings.parse(settings, "--set");
        if (initText != null) {
            values.put("init", "text");
            values.put("init_text", initText);
        }
        return values;
    }
}
