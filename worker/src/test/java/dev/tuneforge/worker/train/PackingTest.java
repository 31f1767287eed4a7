package dev.tuneforge.worker.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import dev.tuneforge.worker.Djl;
import dev.tuneforge.worker.data.Batch;
import dev.tuneforge.worker.data.Example;
import dev.tuneforge.worker.data.ExampleEncoder;
import dev.tuneforge.worker.data.Row;
import dev.tuneforge.worker.data.TokenizedExample;
import dev.tuneforge.worker.data.TrainingPlan;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import dev.tuneforge.worker.model.LlamaModel;
import dev.tuneforge.tokenizer.ChatMessage;
import dev.tuneforge.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Packing several examples into one row changes nothing about the loss: the segment mask keeps each
 * example's attention to itself and positions restart, so every token's loss is what it is alone.
 */
class PackingTest {

    @TempDir
    Path dir;

    @Test
    void packedLossEqualsUnpackedLoss() {
        Path model = TinyLlamaWriter.write(dir, TinyLlamaWriter.Spec.small());
        try (NDManager m = Djl.cpuManager(); LlamaModel llama = LlamaModel.load(model, m);
             HfTokenizer tokenizer = HfTokenizer.load(model)) {
            ExampleEncoder encoder = new ExampleEncoder(tokenizer, 128);
            List<TokenizedExample> examples = List.of(
                    chat(encoder, "What is LoRA?", "Two low-rank matrices."),
                    chat(encoder, "Capital of France?", "Paris is the capital of France."),
                    encoder.encode(new Example.Completion("Numbers like 1, 2,", " 3 and 10")));
            double unpacked = meanLoss(llama, Batch.of(List.of(new Row(List.of(0)), new Row(List.of(1)),
                    new Row(List.of(2))), examples, 0));
            double packed = meanLoss(llama, Batch.of(List.of(new Row(List.of(0, 1, 2))), examples, 0));
            double partly = meanLoss(llama, Batch.of(List.of(new Row(List.of(2, 0)), new Row(List.of(1))), examples, 0));
            assertEquals(unpacked, packed, 1e-5 * unpacked);
            assertEquals(unpacked, partly, 1e-5 * unpacked);

            TrainingPlan plan = TrainingPlan.build(examples, 1, 0, 8, 1, true, 128, 1);
            assertEquals(1, plan.steps().size());
            assertEquals(1, plan.steps().getFirst().microBatches().getFirst().size(), "all three fit in one row");
        }
    }

    private static TokenizedExample chat(ExampleEncoder encoder, String user, String assistant) {
        return encoder.encode(new Example.Chat(List.of(new Example.Turn(ChatMessage.user(user), false),
                new Example.Turn(ChatMessage.assistant(assistant), true))));
    }

    private static double meanLoss(LlamaModel model, Batch batch) {
        try (NDManager scratch = model.manager().newSubManager()) {
            return TokenLoss.nllSum(model, batch.toTensors(scratch)).getFloat() / batch.targetCount();
        }
    }
}
