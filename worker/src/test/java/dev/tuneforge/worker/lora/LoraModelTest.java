package dev.tuneforge.worker.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.worker.Djl;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import dev.tuneforge.worker.model.LlamaModel;
import dev.tuneforge.worker.protocol.TrainSpec;
import dev.tuneforge.worker.safetensors.SafetensorsReader;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Adapters attach by module name, start as a no-op, and round-trip through PEFT's layout. */
class LoraModelTest {

    @TempDir
    Path dir;

    @Test
    void savedAdapterHasPeftNamesAndShapesAndLoadsBackToTheSameLogits() throws Exception {
        Path base = TinyLlamaWriter.write(dir.resolve("base"), TinyLlamaWriter.Spec.small());
        try (NDManager m = Djl.cpuManager(); LlamaModel model = LlamaModel.load(base, m);
             LlamaModel fresh = LlamaModel.load(base, m)) {
            NDArray ids = m.create(new long[] {5, 60, 7, 80, 9}).reshape(1, 5);
            NDArray before = model.forward(ids);
            TrainSpec.Lora spec = new TrainSpec.Lora(4, 16, 0.1, List.of("q_proj", "down_proj"), false);
            LoraModel lora = LoraModel.attach(model, spec, 1);
            assertEquals(2 * 2 * 2, lora.parameters().size(), "A and B for 2 modules in 2 layers");
            assertTrue(model.forward(ids).allClose(before, 1e-6, 1e-6, false), "B = 0: no change yet");
            lora.parameters().forEach((name, p) -> {
                if (name.contains("lora_B")) {
                    p.set(m.randomUniform(-0.1f, 0.1f, p.getShape()).toFloatArray());
                }
            });
            NDArray tuned = model.forward(ids);
            assertFalse(tuned.allClose(before, 1e-4, 1e-4, false));
            lora.save(dir.resolve("adapter"), "base");

            JsonNode config = new ObjectMapper().readTree(dir.resolve("adapter/adapter_config.json").toFile());
            assertEquals("LORA", config.get("peft_type").asText());
            assertEquals(4, config.get("r").asInt());
            assertEquals(16.0, config.get("lora_alpha").asDouble());
            assertEquals("none", config.get("bias").asText());
            assertEquals("[\"down_proj\",\"q_proj\"]", config.get("target_modules").toString());
            try (SafetensorsReader weights = SafetensorsReader.open(dir.resolve("adapter/adapter_model.safetensors"))) {
                assertArrayEquals(new long[] {4, 32},
                        weights.info("base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight").shape());
                assertArrayEquals(new long[] {32, 4},
                        weights.info("base_model.model.model.layers.0.mlp.down_proj.lora_B.weight").shape());
                assertArrayEquals(new long[] {4, 64},
                        weights.info("base_model.model.model.layers.0.mlp.down_proj.lora_A.weight").shape());
            }

            LoraModel loaded = LoraModel.load(fresh, dir.resolve("adapter"));
            assertTrue(fresh.forward(ids).allClose(tuned, 1e-5, 1e-6, false), "the loaded adapter gives the same logits");
            loaded.close();
            assertTrue(fresh.forward(ids).allClose(before, 1e-6, 1e-6, false), "closing detaches");
            lora.close();
        }
    }

    @Test
    void rsLoraScalesByAlphaOverSqrtR() {
        assertEquals(4.0, new TrainSpec.Lora(16, 16, 0, List.of("all-linear"), true).scaling());
        assertEquals(1.0, new TrainSpec.Lora(16, 16, 0, List.of("all-linear"), false).scaling());
    }
}
