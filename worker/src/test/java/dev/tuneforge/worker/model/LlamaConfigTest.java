package dev.tuneforge.worker.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class LlamaConfigTest {

    private static final String BASE = "\"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": 2,"
            + " \"num_attention_heads\": 8, \"vocab_size\": 100";

    private static LlamaConfig parse(String extra) throws Exception {
        String json = "{" + BASE + (extra.isEmpty() ? "" : ", " + extra) + "}";
        return LlamaConfig.parse(new ObjectMapper().readTree(json));
    }

    @Test
    void defaultsFollowTransformers() throws Exception {
        LlamaConfig c = parse("");
        assertEquals("llama", c.modelType());
        assertEquals(8, c.numKeyValueHeads());
        assertEquals(8, c.headDim());
        assertEquals(10000.0, c.ropeTheta());
        assertEquals(1e-6, c.rmsNormEps());
        assertEquals(new RopeScaling.None(), c.ropeScaling());
        assertEquals(false, c.tieWordEmbeddings());
    }

    @Test
    void ropeThetaFromTransformers5RopeParametersOrTopLevel() throws Exception {
        assertEquals(500000.0, parse("\"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 500000.0}")
                .ropeTheta());
        assertEquals(1000000.0, parse("\"rope_theta\": 1000000.0, \"rope_scaling\": null").ropeTheta());
    }

    @Test
    void llama3AndLinearScaling() throws Exception {
        LlamaConfig l3 = parse("\"rope_theta\": 500000.0, \"torch_dtype\": \"bfloat16\", \"rope_scaling\": {\"rope_type\":"
                + " \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0,"
                + " \"original_max_position_embeddings\": 8192}");
        assertEquals(new RopeScaling.Llama3(8.0, 1.0, 4.0, 8192), l3.ropeScaling());
        assertEquals("bfloat16", l3.dtype());
        assertEquals(new RopeScaling.Linear(2.0),
                parse("\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}").ropeScaling());
    }

    @Test
    void unknownRopeTypeIsRefusedByName() {
        ModelConfigException e = assertThrows(ModelConfigException.class,
                () -> parse("\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}"));
        assertTrue(e.getMessage().contains("yarn") && e.getMessage().contains("llama3"), e.getMessage());
    }

    @Test
    void unsupportedArchitecturesAndShapesAreRefused() {
        assertThrows(ModelConfigException.class, () -> parse("\"model_type\": \"gpt2\""));
        assertThrows(ModelConfigException.class, () -> parse("\"num_key_value_heads\": 3"));
        assertThrows(ModelConfigException.class, () -> parse("\"hidden_act\": \"gelu\""));
    }

    @Test
    void llama3FrequenciesKeepHighBandAndDivideLowBand() {
        RopeScaling.Llama3 l3 = new RopeScaling.Llama3(8.0, 1.0, 4.0, 8192);
        float[] plain = Rope.inverseFrequencies(128, 500000.0, new RopeScaling.None());
        float[] scaled = Rope.inverseFrequencies(128, 500000.0, l3);
        // Wavelengths under 8192/4 tokens are untouched, those over 8192 divided by the factor,
        // and the band between interpolates smoothly.
        for (int i = 0; i < plain.length; i++) {
            double wavelen = 2 * Math.PI / plain[i];
            if (wavelen < 2048) {
                assertEquals(plain[i], scaled[i]);
            } else if (wavelen > 8192) {
                assertEquals(plain[i] / 8.0, scaled[i], 1e-6 * plain[i]);
            } else {
                assertTrue(scaled[i] <= plain[i] && scaled[i] >= plain[i] / 8.0);
            }
        }
        float[] linear = Rope.inverseFrequencies(4, 10000.0, new RopeScaling.Linear(2.0));
        assertArrayEquals(new float[] {0.5f, 0.005f}, linear, 1e-7f);
    }
}
