package dev.tuneforge.worker.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.ValidationMessage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Java spec reader and the published JSON Schemas agree: every example spec in
 * docs/WORKER_PROTOCOL.md passes both, and each broken spec below fails both, the reader naming the
 * field.
 */
class SpecSchemaTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path WORKDIR = Path.of("/work");

    /** The example specs of the protocol document tagged {@code json <kind>}. */
    static List<JsonNode> documented(String kind) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String block : ProtocolDoc.blocks(kind)) {
            out.add(JSON.readTree(block));
        }
        return out;
    }

    private static Set<ValidationMessage> schemaProblems(ProtocolSchemas schema, JsonNode spec) {
        return ProtocolSchemaValidator.problems(schema, spec);
    }

    @Test
    void everyDocumentedTrainSpecIsValidForTheSchemaAndTheReader() throws Exception {
        List<JsonNode> examples = documented("train-spec");
        assertEquals(6, examples.size());
        for (JsonNode example : examples) {
            assertEquals(Set.of(), schemaProblems(ProtocolSchemas.TRAIN_SPEC, example), example.toString());
            TrainSpec spec = SpecReader.train(example, WORKDIR);
            assertTrue(spec.baseModel().startsWith(WORKDIR));
        }
        TrainSpec first = SpecReader.train(examples.getFirst(), WORKDIR);
        TrainSpec.Lora lora = assertInstanceOf(TrainSpec.Lora.class, first.method());
        assertEquals(2.0, lora.scaling());
        assertEquals(TrainSpec.LrScheduler.COSINE, first.hyperparameters().lrScheduler());
        assertEquals(Path.of("/work/out"), first.outputDir());
        TrainSpec smallest = SpecReader.train(examples.get(1), WORKDIR);
        assertEquals(3, smallest.hyperparameters().epochs());
        assertEquals(500, smallest.saveSteps());
        assertFalse(smallest.hyperparameters().gradientCheckpointing());
        assertEquals(TrainSpec.Precision.FP32, smallest.precision());
    }

    @Test
    void aNullSaveStepsMeansCheckpointsOnlyWhenStoppedAndAnAbsentOneTheDefault() throws Exception {
        JsonNode spec = JSON.readTree("{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"full\"},"
                + " \"save_steps\": null}");
        assertEquals(Set.of(), schemaProblems(ProtocolSchemas.TRAIN_SPEC, spec));
        assertNull(SpecReader.train(spec, WORKDIR).saveSteps());
    }

    @Test
    void gradientCheckpointingIsAValidOptionForTheSchemaAndTheReader() throws Exception {
        JsonNode spec = JSON.readTree("{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"full\"},"
                + " \"hyperparameters\": {\"gradient_checkpointing\": true}}");
        assertEquals(Set.of(), schemaProblems(ProtocolSchemas.TRAIN_SPEC, spec));
        assertTrue(SpecReader.train(spec, WORKDIR).hyperparameters().gradientCheckpointing());
    }

    @Test
    void everyDocumentedEvalSpecIsValidForTheSchemaAndTheReader() throws Exception {
        List<JsonNode> examples = documented("eval-spec");
        assertEquals(2, examples.size());
        for (JsonNode example : examples) {
            assertEquals(Set.of(), schemaProblems(ProtocolSchemas.EVAL_SPEC, example), example.toString());
            assertEquals(Path.of("/work/out/adapter"), SpecReader.eval(example, WORKDIR).adapter());
        }
        GenerationParams greedy = SpecReader.eval(examples.getFirst(), WORKDIR).generation();
        assertEquals(new GenerationParams(128, 0, 1, null, 0L, List.of()), greedy);
        assertTrue(greedy.isGreedy());
        GenerationParams sampled = SpecReader.eval(examples.get(1), WORKDIR).generation();
        assertEquals(new GenerationParams(64, 0.7, 0.9, 50, 7L, List.of("\n\n", "</answer>")), sampled);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"data\": {\"file\": \"f\"}}|base_model: required",
        "{\"base_model\": \"b\", \"data\": {\"file\": \"f\"}, \"temperature\": -0.5}|temperature: must be >= 0",
        "{\"base_model\": \"b\", \"data\": {\"file\": \"f\"}, \"temperature\": 3}|temperature: must be >= 0.0 and <= 2.0",
        "{\"base_model\": \"b\", \"data\": {\"file\": \"f\"}, \"top_p\": 0}|top_p: must be > 0",
        "{\"base_model\": \"b\", \"data\": {\"file\": \"f\"}, \"top_k\": 0}|top_k: must be >= 1",
        "{\"base_model\": \"b\", \"data\": {\"file\": \"f\"}, \"seed\": 1.5}|seed: must be an integer",
        "{\"base_model\": \"b\", \"data\": {\"file\": \"f\"}, \"stop\": []}|stop: must be a non-empty array",
        "{\"base_model\": \"b\", \"data\": {\"file\": \"f\"}, \"stop\": [\"\"]}|stop[0]: must be a non-empty string",
        "{\"base_model\": \"b\", \"data\": {\"file\": \"f\"}, \"top_q\": 0.5}|top_q: unknown field",
    })
    void brokenEvalSpecsFailBothTheSchemaAndTheReader(String caseLine) throws Exception {
        String[] parts = caseLine.split("\\|");
        JsonNode spec = JSON.readTree(parts[0]);
        assertFalse(schemaProblems(ProtocolSchemas.EVAL_SPEC, spec).isEmpty(), "the schema accepts " + spec);
        SpecException e = assertThrows(SpecException.class, () -> SpecReader.eval(spec, WORKDIR));
        assertTrue(e.getMessage().contains(parts[1]), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"full\"}}|base_model: required",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"qdora\"}}|method.type: must be one of",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\", \"format\": \"sharegpt\"}, \"method\": {\"type\": \"full\"}}|data.format",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"lora\", \"rank\": 8}}|method.rank: unknown field",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"lora\", \"r\": 0}}|method.r: must be >= 1",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"full\", \"r\": 4}}|method.r: only applies",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"lora\", \"target_modules\": [\"qkv\"]}}|method.target_modules",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"full\"}, \"hyperparameters\": {\"learning_rate\": -1}}|hyperparameters.learning_rate: must be > 0",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"full\"}, \"hyperparameters\": {\"lr_scheduler\": \"step\"}}|hyperparameters.lr_scheduler",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"full\"}, \"hyperparameters\": {\"warmup_steps\": 5, \"warmup_ratio\": 0.1}}|warmup_ratio: give warmup_steps or warmup_ratio",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"full\"}, \"hyperparameters\": {\"batch_size\": \"8\"}}|hyperparameters.batch_size: must be an integer",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"full\"}, \"early_stopping_patience\": 2}|early_stopping_patience: needs data.validation",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"full\"}, \"device\": \"tpu\"}|device: must be cpu",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"full\"}, \"epochs\": 3}|epochs: unknown field",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"full\"}, \"hyperparameters\": {\"gradient_checkpointing\": \"yes\"}}|hyperparameters.gradient_checkpointing: must be true or false",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"full\"}, \"precision\": \"int8\"}|precision: must be one of",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"dpo\"}}|data.format: method type \"dpo\" trains on pairs",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\", \"format\": \"preference\"}, \"method\": {\"type\": \"lora\"}}|data.format: \"preference\" data is for method type \"dpo\"",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"lora\", \"beta\": 0.1}}|method.beta: only applies to method type \"dpo\"",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\", \"format\": \"preference\"}, \"method\": {\"type\": \"dpo\", \"beta\": 0}}|method.beta: must be > 0",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"lora\", \"double_quant\": true}}|method.double_quant: only applies to method type \"qlora\"",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\", \"format\": \"preference\"}, \"method\": {\"type\": \"dpo\", \"double_quant\": true}}|method.double_quant: only applies to method type \"qlora\"",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"qlora\", \"beta\": 0.1}}|method.beta: only applies to method type \"dpo\"",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"qlora\", \"double_quant\": 1}}|method.double_quant: must be true or false",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\", \"format\": \"preference\"}, \"method\": {\"type\": \"qlora\"}}|data.format: \"preference\" data is for method type \"dpo\"",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\", \"format\": \"preference\"}, \"method\": {\"type\": \"dpo\", \"label_smoothing\": 0.5}}|method.label_smoothing: must be below 0.5",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"prompt_tuning\", \"init\": \"text\"}}|method.init_text: required with init \"text\"",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"prompt_tuning\", \"init_text\": \"Answer.\"}}|method.init_text: only applies with init \"text\"",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"prompt_tuning\", \"init\": \"vocab\"}}|method.init: must be one of",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"prompt_tuning\", \"num_virtual_tokens\": 0}}|method.num_virtual_tokens: must be >= 1",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"prompt_tuning\", \"r\": 8}}|method.r: only applies to method types \"dpo\", \"lora\" and \"qlora\"",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"prompt_tuning\", \"prefix_projection\": true}}|method.prefix_projection: only applies to method type \"prefix_tuning\"",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"prefix_tuning\", \"init\": \"random\"}}|method.init: only applies to method type \"prompt_tuning\"",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"prefix_tuning\", \"encoder_hidden_size\": 64}}|method.encoder_hidden_size: only applies with prefix_projection true",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\"}, \"method\": {\"type\": \"lora\", \"num_virtual_tokens\": 8}}|method.num_virtual_tokens: only applies to method types \"prefix_tuning\" and \"prompt_tuning\"",
        "{\"base_model\": \"b\", \"data\": {\"train\": \"t\", \"format\": \"preference\"}, \"method\": {\"type\": \"prompt_tuning\"}}|data.format: \"preference\" data is for method type \"dpo\"",
    })
    void brokenSpecsFailBothTheSchemaAndTheReader(String caseLine) throws Exception {
        String[] parts = caseLine.split("\\|");
        JsonNode spec = JSON.readTree(parts[0]);
        Set<ValidationMessage> schemaErrors = schemaProblems(ProtocolSchemas.TRAIN_SPEC, spec);
        assertFalse(schemaErrors.isEmpty(), "the schema accepts " + spec);
        SpecException e = assertThrows(SpecException.class, () -> SpecReader.train(spec, WORKDIR));
        assertTrue(e.getMessage().contains(parts[1]), e.getMessage());
    }
}
