package dev.tuneforge.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a Llama config.json implies for an adapter: PEFT's tensor names and shapes for the projections a LoRA
 * method targets, and how many parameters that is. Worked out from the config here, not asked of a runtime.
 */
record LlamaShapes(int layers, int hidden, int intermediate, int heads, int kvHeads, int headDim) {

    static LlamaShapes of(Path modelDir) {
        try {
            JsonNode c = new ObjectMapper().readTree(modelDir.resolve("config.json").toFile());
            int hidden = c.get("hidden_size").asInt();
            int heads = c.get("num_attention_heads").asInt();
            int headDim = c.hasNonNull("head_dim") ? c.get("head_dim").asInt() : hidden / heads;
            return new LlamaShapes(c.get("num_hidden_layers").asInt(), hidden, c.get("intermediate_size").asInt(),
                    heads, c.path("num_key_value_heads").asInt(heads), headDim);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code [in, out]} of a projection. */
    int[] projection(String module) {
        return switch (module) {
            case "q_proj" -> new int[] {hidden, heads * headDim};
            case "k_proj", "v_proj" -> new int[] {hidden, kvHeads * headDim};
            case "o_proj" -> new int[] {heads * headDim, hidden};
            case "gate_proj", "up_proj" -> new int[] {hidden, intermediate};
            case "down_proj" -> new int[] {intermediate, hidden};
            default -> throw new IllegalArgumentException("not a Llama projection: " + module);
        };
    }

    /** PEFT's tensor names in adapter_model.safetensors and their shapes: A {@code [r, in]}, B {@code [out, r]}. */
    Map<String, List<Long>> adapterTensors(List<String> modules, int r) {
        Map<String, List<Long>> tensors = new LinkedHashMap<>();
        for (int i = 0; i < layers; i++) {
            for (String m : modules) {
                String block = m.endsWith("_proj") && List.of("gate_proj", "up_proj", "down_proj").contains(m)
                        ? "mlp" : "self_attn";
                String prefix = "base_model.model.model.layers." + i + "." + block + "." + m;
                int[] io = projection(m);
                tensors.put(prefix + ".lora_A.weight", List.of((long) r, (long) io[0]));
                tensors.put(prefix + ".lora_B.weight", List.of((long) io[1], (long) r));
            }
        }
        return tensors;
    }

    long adapterParameters(List<String> modules, int r) {
        return adapterTensors(modules, r).values().stream().mapToLong(s -> s.get(0) * s.get(1)).sum();
    }
}
