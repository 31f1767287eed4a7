package dev.tuneforge.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.tuneforge.tokenizer.HfTokenizer;
import dev.tuneforge.worker.data.DatasetReader;
import dev.tuneforge.worker.data.Example;
import dev.tuneforge.worker.data.ExampleEncoder;
import dev.tuneforge.worker.data.TokenizedExample;
import dev.tuneforge.worker.protocol.DataFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Both runtimes train on the same tokens: for chat (multi-turn, a system message, {@code weight: 0} turns),
 * completion and alpaca examples, with non-ASCII text, the torch runtime's rendering of the chat template, its
 * token ids and its loss targets ({@code tuneforge_worker.data.Encoder}) equal the Java tokenizer's and the djl
 * runtime's {@code ExampleEncoder}'s — on the transformers-written fixture and on a {@code TinyLlamaWriter} model,
 * uncut and cut to a short {@code max_seq_length}.
 */
class TokenizationParityTest {

    private static final List<DataFormat> FORMATS = List.of(DataFormat.CHAT, DataFormat.COMPLETION, DataFormat.ALPACA);
    private static final List<Integer> MAX_SEQ_LENGTHS = List.of(1024, 12);
    private static final List<String> MODELS = List.of(Conformance.TINY_LLAMA_GQA, "tiny-llama-writer");
    /** Per model, the torch runtime's encodings of {@link #cases}: one Python process for both models. */
    private static List<JsonNode> torchEncodings;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Conformance.TINY_LLAMA_GQA, "tiny-llama-writer"})
    void theTorchRuntimeRendersTokenizesAndMasksExamplesAsTheDjlRuntimeDoes(String modelName) throws IOException {
        Path model = model(modelName);
        ArrayNode cases = cases(model);
        JsonNode encoded = torchEncodings().get(MODELS.indexOf(modelName));
        List<String> differences = new ArrayList<>();
        int compared = 0;
        try (HfTokenizer tokenizer = HfTokenizer.load(model)) {
            for (int c = 0; c < cases.size(); c++) {
                JsonNode spec = cases.get(c);
                ExampleEncoder encoder = new ExampleEncoder(tokenizer, spec.get("max_seq_length").asInt());
                List<Example> examples = DatasetReader.read(Path.of(spec.get("data").asText()),
                        FORMATS.get(c / MAX_SEQ_LENGTHS.size()));
                JsonNode theirs = encoded.get(c);
                assertEquals(examples.size(), theirs.size(), spec.toString());
                for (int i = 0; i < examples.size(); i++) {
                    String where = spec.get("format").asText() + ", max_seq_length "
                            + spec.get("max_seq_length") + ", example " + (i + 1) + ": ";
                    JsonNode t = theirs.get(i);
                    if (examples.get(i) instanceof Example.Chat chat) {
                        String rendered = tokenizer.renderChat(chat.messages(), false);
                        if (!rendered.equals(t.get("rendered").asText())) {
                            differences.add(where + "rendered\n  java:  " + rendered + "\n  torch: " + t.get("rendered"));
                        }
                    }
                    TokenizedExample ours = encoder.encode(examples.get(i));
                    if (!Arrays.equals(ours.inputIds(), longs(t.get("input_ids")))) {
                        differences.add(where + "input_ids\n  djl:   " + Arrays.toString(ours.inputIds())
                                + "\n  torch: " + t.get("input_ids"));
                    }
                    if (!Arrays.equals(ours.targets(), longs(t.get("targets")))) {
                        differences.add(where + "targets\n  djl:   " + Arrays.toString(ours.targets())
                                + "\n  torch: " + t.get("targets"));
                    }
                    compared++;
                }
            }
        }
        assertEquals(List.of(), differences, "the same rendering, ids and targets");
        assertEquals(2 * (5 + 5 + 5), compared, "every example of every case was compared");
    }

    private static Path model(String name) {
        return name.equals(Conformance.TINY_LLAMA_GQA) ? Suite.fixtureModel() : Suite.tinyLlama();
    }

    /** Every format, uncut and cut: {@code {model, data, format, max_seq_length}} as encode_examples.py reads them. */
    private static ArrayNode cases(Path model) {
        ArrayNode cases = Layout.JSON.createArrayNode();
        for (DataFormat format : FORMATS) {
            for (int max : MAX_SEQ_LENGTHS) {
                cases.addObject().put("model", model.toString())
                        .put("data", Python.resource("tokenization/" + format.wireName() + ".jsonl").toString())
                        .put("format", format.wireName()).put("max_seq_length", max);
            }
        }
        return cases;
    }

    private static synchronized List<JsonNode> torchEncodings() throws IOException {
        if (torchEncodings == null) {
            Path workdir = Conformance.workspace("tokenization");
            ArrayNode all = Layout.JSON.createArrayNode();
            MODELS.forEach(name -> all.addAll(cases(model(name))));
            Path casesFile = Files.writeString(workdir.resolve("cases.json"), all.toPrettyString());
            Python.Result torch = Python.run(workdir, Python.resource("tokenization/encode_examples.py"),
                    casesFile.toString());
            assertEquals(0, torch.status(), torch.describe());
            JsonNode encoded = Layout.JSON.readTree(torch.stdout());
            int perModel = FORMATS.size() * MAX_SEQ_LENGTHS.size();
            List<JsonNode> byModel = new ArrayList<>();
            for (int m = 0; m < MODELS.size(); m++) {
                ArrayNode mine = Layout.JSON.createArrayNode();
                for (int c = 0; c < perModel; c++) {
                    mine.add(encoded.get(m * perModel + c));
                }
                byModel.add(mine);
            }
            torchEncodings = byModel;
        }
        return torchEncodings;
    }

    private static long[] longs(JsonNode array) {
        return Stream.iterate(0, i -> i < array.size(), i -> i + 1).mapToLong(i -> array.get(i).asLong()).toArray();
    }
}
