package dev.tuneforge.worker.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Specs built as records and written by the writer are what the schema describes and what the reader reads. */
class SpecWriterTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path WORKDIR = Path.of("/work");

    private static TrainSpec.Hyperparameters hyperparameters(Integer warmupSteps) {
        double warmupRatio = warmupSteps == null ? 0.1 : 0.0;
        return new TrainSpec.Hyperparameters(2, null, 4, 2, 2e-4, TrainSpec.LrScheduler.COSINE, warmupSteps,
                warmupRatio, 0.01, 1.0, 512, true, 7, false);
    }

    private static TrainSpec lora() {
        return new TrainSpec(Path.of("models/base"),
                new TrainSpec.Data(Path.of("data/train.jsonl"), Path.of("data/validation.jsonl"), DataFormat.CHAT),
                new TrainSpec.Lora(16, 32, 0.05, List.of("q_proj", "v_proj"), true), hyperparameters(null), 10, 2,
                50, Path.of("resume/checkpoint-50"), Path.of("out"), "cuda:1", TrainSpec.Precision.BF16);
    }

    private static JsonNode written(String json) throws Exception {
        return JSON.readTree(json);
    }

    @Test
    void aWrittenTrainSpecIsValidForTheSchemaAndReadsBackAsTheSameRecord() throws Exception {
        TrainSpec full = new TrainSpec(Path.of("/abs/base"),
                new TrainSpec.Data(Path.of("train.jsonl"), null, DataFormat.ALPACA), new TrainSpec.Full(),
                hyperparameters(5), null, null, null, null, Path.of("out"), "cpu", TrainSpec.Precision.FP32);
        TrainSpec dpo = new TrainSpec(Path.of("base"),
                new TrainSpec.Data(Path.of("pairs.jsonl"), null, DataFormat.PREFERENCE),
                new TrainSpec.Dpo(new TrainSpec.Lora(8, 16, 0, List.of("all-linear"), false), 0.25, 0.1),
                hyperparameters(5), null, null, null, null, Path.of("out"), "cpu", TrainSpec.Precision.FP32);
        TrainSpec qlora = new TrainSpec(Path.of("base"),
                new TrainSpec.Data(Path.of("train.jsonl"), null, DataFormat.CHAT),
                new TrainSpec.Qlora(new TrainSpec.Lora(16, 32, 0.05, List.of("q_proj", "v_proj"), false), false),
                hyperparameters(5), null, null, null, null, Path.of("out"), "cuda", TrainSpec.Precision.BF16);
        TrainSpec prompt = new TrainSpec(Path.of("base"),
                new TrainSpec.Data(Path.of("train.jsonl"), null, DataFormat.COMPLETION),
                new TrainSpec.PromptTuning(8, TrainSpec.PromptInit.TEXT, "Answer with a JSON object."),
                hyperparameters(5), null, null, null, null, Path.of("out"), "cpu", TrainSpec.Precision.FP32);
        TrainSpec randomPrompt = new TrainSpec(Path.of("base"),
                new TrainSpec.Data(Path.of("train.jsonl"), null, DataFormat.CHAT),
                new TrainSpec.PromptTuning(20, TrainSpec.PromptInit.RANDOM, null),
                hyperparameters(5), null, null, null, null, Path.of("out"), "cpu", TrainSpec.Precision.FP32);
        TrainSpec prefix = new TrainSpec(Path.of("base"),
                new TrainSpec.Data(Path.of("train.jsonl"), null, DataFormat.CHAT),
                new TrainSpec.PrefixTuning(10, true, 64),
                hyperparameters(5), null, null, null, null, Path.of("out"), "cuda", TrainSpec.Precision.BF16);
        TrainSpec plainPrefix = new TrainSpec(Path.of("base"),
                new TrainSpec.Data(Path.of("train.jsonl"), null, DataFormat.CHAT),
                new TrainSpec.PrefixTuning(10, false, null),
                hyperparameters(5), null, null, null, null, Path.of("out"), "cpu", TrainSpec.Precision.FP32);
        for (TrainSpec spec : List.of(lora(), full, dpo, qlora, prompt, randomPrompt, prefix, plainPrefix)) {
            JsonNode json = written(SpecWriter.json(spec));
            assertEquals(Set.of(), ProtocolSchemaValidator.problems(ProtocolSchemas.TRAIN_SPEC, json), json.toString());
            assertEquals(spec, SpecReader.train(json, Path.of("")));
        }
    }

    @Test
    void everyValueIsWrittenDefaultsIncludedAndWarmupOnceAsStepsOrAsARatio() throws Exception {
        JsonNode json = written(SpecWriter.json(lora()));
        assertEquals("lora", json.path("method").path("type").asText());
        assertEquals(32.0, json.path("method").path("alpha").asDouble());
        assertEquals("cosine", json.path("hyperparameters").path("lr_scheduler").asText());
        assertEquals(0.1, json.path("hyperparameters").path("warmup_ratio").asDouble());
        assertTrue(json.path("hyperparameters").path("warmup_steps").isMissingNode());
        assertTrue(json.path("hyperparameters").has("gradient_checkpointing"));
        assertEquals("bf16", json.path("precision").asText());
        assertEquals("resume/checkpoint-50", json.path("resume_from").asText());

        TrainSpec steps = new TrainSpec(Path.of("b"), new TrainSpec.Data(Path.of("t"), null, DataFormat.CHAT),
                new TrainSpec.Full(), hyperparameters(5), null, null, 500, null, Path.of("out"), "cpu",
                TrainSpec.Precision.FP32);
        JsonNode h = written(SpecWriter.json(steps)).path("hyperparameters");
        assertEquals(5, h.path("warmup_steps").asInt());
        assertTrue(h.path("warmup_ratio").isMissingNode(), "the schema allows one of the two");
    }

    @Test
    void everyDocumentedSpecReadWrittenAndReadAgainIsUnchanged() throws Exception {
        for (JsonNode example : SpecSchemaTest.documented("train-spec")) {
            TrainSpec read = SpecReader.train(example, WORKDIR);
            assertEquals(read, SpecReader.train(written(SpecWriter.json(read)), WORKDIR), example.toString());
        }
        for (JsonNode example : SpecSchemaTest.documented("eval-spec")) {
            EvalSpec read = SpecReader.eval(example, WORKDIR);
            assertEquals(read, SpecReader.eval(written(SpecWriter.json(read)), WORKDIR), example.toString());
        }
    }

    @Test
    void aWrittenEvalSpecIsValidForTheSchemaAndReadsBackAsTheSameRecord() throws Exception {
        EvalSpec greedy = new EvalSpec(Path.of("models/base"), Path.of("models/artifact"),
                Path.of("data/heldout.jsonl"), DataFormat.CHAT, 1024, GenerationParams.greedy(128).withSeed(0L),
                Path.of("out/results/results.jsonl"), "cpu");
        EvalSpec sampled = new EvalSpec(Path.of("base"), null, Path.of("heldout.jsonl"), DataFormat.COMPLETION, 256,
                new GenerationParams(64, 0.7, 0.9, 50, 7L, List.of("\n\n", "</answer>")), Path.of("r.jsonl"), "auto");
        for (EvalSpec spec : List.of(greedy, sampled)) {
            JsonNode json = written(SpecWriter.json(spec));
            assertEquals(Set.of(), ProtocolSchemaValidator.problems(ProtocolSchemas.EVAL_SPEC, json), json.toString());
            assertEquals(spec, SpecReader.eval(json, Path.of("")));
        }
    }

    @Test
    void theWriterRefusesASpecTheWorkerWouldRefuseNamingTheField() {
        TrainSpec noValidation = new TrainSpec(Path.of("b"), new TrainSpec.Data(Path.of("t"), null, DataFormat.CHAT),
                new TrainSpec.Full(), hyperparameters(null), null, 3, 500, null, Path.of("out"), "tpu",
                TrainSpec.Precision.FP32);
        SpecException e = assertThrows(SpecException.class, () -> SpecWriter.json(noValidation));
        assertTrue(e.getMessage().contains("early_stopping_patience: needs data.validation"), e.getMessage());
        assertTrue(e.getMessage().contains("device: must be cpu"), e.getMessage());
    }

    @Test
    void writeStoresTheSameTextInAFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("spec.json");
        SpecWriter.write(lora(), file);
        assertEquals(SpecWriter.json(lora()), Files.readString(file));
        assertEquals(lora(), SpecReader.train(SpecReader.readJson(file), Path.of("")));
    }
}
