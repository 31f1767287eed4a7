package dev.tuneforge.worker.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.worker.fixture.JsonTask;
import dev.tuneforge.worker.TrainRun;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.safetensors.DType;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance test of issue 5: a tiny random-init Llama (untied embeddings, so the initial logits
 * are not extreme), fully fine-tuned on 500 examples of "answer with nothing but the JSON object asked
 * for", answers held-out prompts (names and ages it never saw) exactly, where the base model does not.
 *
 * <p>The recipe is what makes the model copy instead of memorise. The first one (2 layers, a BPE
 * vocabulary, learning rate 1e-3, no weight decay, 400 examples) scored 7/30 on the held-out prompts;
 * measured one change at a time: learning rate 3e-3, 11/30 (the training loss goes to ~0: memorised); a
 * byte-level vocabulary (no merges, so a name in the answer is the same token sequence as in the
 * prompt), 16; 3 layers and weight decay 0.1 (room for a previous-token head feeding an induction
 * head), 25; 4 layers, 28; weight decay 0.3 and 500 examples, 29. Training is 480 steps, about 2.5
 * minutes on a busy 2-core machine; the run is deterministic (fixed seeds, one math thread).
 *
 * <p>Tagged {@code learning} so that a quick build can leave it out with
 * {@code -Dtuneforge.excludedGroups=learning}; it runs by default.
 */
@Tag("learning")
class JsonTaskLearningTest {

    @TempDir
    Path dir;

    @Test
    void aTinyModelLearnsToAnswerWithTheJsonObjectOnly() {
        // hidden 128, 4 layers of 4 heads x 32, no BPE merges (a byte-level vocabulary of 259 tokens)
        TinyLlamaWriter.write(dir.resolve("base"), new TinyLlamaWriter.Spec(128, 256, 4, 4, 4, 32, 0, false, false,
                DType.F32, 1, 256, 10000.0, 1.0, 3L));
        Set<String> names = new HashSet<>();
        JsonTask.write(dir.resolve("train.jsonl"), 500, 11, false, names);
        JsonTask.write(dir.resolve("heldout.jsonl"), 30, 12, true, names);

        ObjectNode spec = TrainRun.JSON.createObjectNode();
        spec.put("base_model", "base");
        spec.putObject("data").put("train", "train.jsonl").put("format", "chat");
        spec.putObject("method").put("type", "full");
        spec.putObject("hyperparameters").put("epochs", 16).put("batch_size", 8)
                .put("learning_rate", 3e-3).put("lr_scheduler", "cosine")
                .put("warmup_ratio", 0.05).put("weight_decay", 0.3).put("max_grad_norm", 1.0).put("packing", true)
                .put("max_seq_length", 256).put("seed", 5);
        spec.put("save_steps", 100000).put("output_dir", "out");
        TrainRun.Outcome trained = TrainRun.run("train", spec, dir, StopSignal.manual());
        assertEquals(ExitCode.DONE, trained.exitCode(), trained.events().toString());

        double tuned = exactMatch("out/model");
        double base = exactMatch("base");
        System.err.println("exact match: tuned " + tuned + ", base " + base);
        assertTrue(tuned >= 0.9, "tuned exact match " + tuned);
        assertTrue(base <= 0.1, "base exact match " + base);
    }

    private double exactMatch(String model) {
        ObjectNode spec = TrainRun.JSON.createObjectNode();
        spec.put("base_model", model);
        spec.putObject("data").put("file", "heldout.jsonl").put("format", "chat");
        spec.put("max_new_tokens", 40).put("output", model.replace('/', '-') + "-results.jsonl");
        TrainRun.Outcome run = TrainRun.run("evaluate", spec, dir, StopSignal.manual());
        assertEquals(ExitCode.DONE, run.exitCode(), run.events().toString());
        return ((Number) run.last(WorkerEvent.Finished.class).metrics().get("exact_match")).doubleValue();
    }
}
