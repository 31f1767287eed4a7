package dev.tuneforge.worker.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.worker.TrainRun;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.train.StopSignal;
import dev.tuneforge.worker.fixture.JsonTask;
import dev.tuneforge.worker.protocol.ExitCode;
import java.util.HashSet;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file {@code peft_parity.py} reads: ids in range, logits shaped {@code [2, 12, vocab]}, and an
 * adapter trained by the worker that changes them (else the PEFT comparison would prove nothing).
 */
class LogitsWriterTest {

    @TempDir
    Path dir;

    @Test
    void writesBaseAndAdaptedLogitsOfATrainedAdapter() throws Exception {
        TinyLlamaWriter.write(dir.resolve("base"), TinyLlamaWriter.Spec.small());
        JsonTask.write(dir.resolve("train.jsonl"), 24, 1, false, new HashSet<>());
        ObjectNode spec = TrainRun.JSON.createObjectNode();
        spec.put("base_model", "base");
        spec.putObject("data").put("train", "train.jsonl").put("format", "chat");
        spec.putObject("method").put("type", "lora").put("r", 4).put("alpha", 8)
                .putArray("target_modules").add("q_proj").add("v_proj").add("down_proj");
        spec.putObject("hyperparameters").put("epochs", 2).put("batch_size", 4).put("learning_rate", 1e-2)
                .put("seed", 7);
        spec.put("output_dir", "out");
        TrainRun.Outcome run = TrainRun.run("train", spec, dir, StopSignal.manual());
        assertEquals(ExitCode.DONE, run.exitCode(), run.events().toString());
        Path adapter = Path.of(run.last(WorkerEvent.Finished.class).outputs().get("adapter"));

        JsonNode doc = LogitsWriter.write(dir.resolve("base"), adapter, dir.resolve("logits.json"));
        JsonNode written = TrainRun.JSON.readTree(dir.resolve("logits.json").toFile());
        assertEquals(doc.get("input_ids").toString(), written.get("input_ids").toString());
        assertEquals(LogitsWriter.FORMAT, written.get("format").asText());
        int vocab = TinyLlamaWriter.Spec.small().vocabSize();
        double maxChange = 0;
        for (int r = 0; r < LogitsWriter.ROWS; r++) {
            for (int t = 0; t < LogitsWriter.LENGTH; t++) {
                long id = written.get("input_ids").get(r).get(t).asLong();
                assertTrue(id >= 3 && id < vocab, "id " + id);
                JsonNode base = written.get("base_logits").get(r).get(t);
                JsonNode tuned = written.get("logits").get(r).get(t);
                assertEquals(vocab, base.size());
                assertEquals(vocab, tuned.size());
                for (int v = 0; v < vocab; v++) {
                    maxChange = Math.max(maxChange, Math.abs(tuned.get(v).asDouble() - base.get(v).asDouble()));
                }
            }
        }
        assertTrue(maxChange > 1e-3, "the adapter changes the logits: max |change| " + maxChange);
    }
}
