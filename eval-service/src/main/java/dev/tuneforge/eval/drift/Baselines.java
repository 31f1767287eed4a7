package dev.tuneforge.eval.drift;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.drift.SparseEmbeddings;
import dev.tuneforge.drift.TrafficSample;
import dev.tuneforge.eval.storage.EvalCatalog;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.tokenizer.ChatMessage;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.jboss.logging.Logger;

/**
 * A model version's drift baseline: the {@link TrafficSample} of its training data (the training split of the dataset
 * version it was trained on, featurised by {@link TrafficFeatures} with its base model's tokenizer). Made once, at
 * the version's first window, from a seeded sample of at most {@code tuneforge.drift.baseline-examples} training
 * examples (reservoir sampling, seeded by the version, so two instances make the same one), and stored at
 * {@code projects/{p}/drift/{model}/v{n}/baseline.json}, where every later window (and a restarted service) reads
 * it. Embeddings are stored sparse ({@link SparseEmbeddings}).
 */
@ApplicationScoped
public class Baselines {

    private static final Logger LOG = Logger.getLogger(Baselines.class);

    private final ObjectStore objects;
    private final DriftConfig config;

    public Baselines(ObjectStore objects, DriftConfig config) {
        this.objects = objects;
        this.config = config;
    }

    public static String key(String projectId, String modelName, int version) {
        return "projects/" + projectId + "/drift/" + modelName + "/v" + version + "/baseline.json";
    }

    public TrafficSample of(String projectId, String modelName, int version, EvalCatalog.TrainedOn trainedOn,
                            TrafficFeatures features) {
        String key = key(projectId, modelName, version);
        if (objects.exists(key)) {
            try (InputStream in = objects.get(key)) {
                return read(EventCodec.mapper().readTree(in));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the drift baseline " + key, e);
            }
        }
        List<String> examples = sample(trainedOn.trainKey(), config.baselineExamples(),
                (projectId + "/" + modelName + "/" + version).hashCode());
        int used = 0;
        for (String line : examples) {
            if (example(line, features)) {
                used++;
            }
        }
        TrafficSample sample = features.sample();
        ObjectNode json = write(sample);
        json.put("base_model", trainedOn.baseModel());
        json.put("dataset_id", trainedOn.datasetId());
        json.put("dataset_version", trainedOn.datasetVersion());
        json.put("train_key", trainedOn.trainKey());
        json.put("examples", used);
        try {
            objects.put(key, EventCodec.mapper().writeValueAsBytes(json), "application/json");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        LOG.infof("drift baseline of %s v%d: %d training examples of %s v%d", modelName, version, used,
                trainedOn.datasetId(), trainedOn.datasetVersion());
        return sample;
    }

    /** Reservoir sampling (algorithm R) of at most {@code size} non-blank lines, seeded. */
    private List<String> sample(String trainKey, int size, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<String> reservoir = new ArrayList<>();
        try (InputStream in = objects.get(trainKey);
             BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            long seen = 0;
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                seen++;
                if (reservoir.size() < size) {
                    reservoir.add(line);
                } else {
                    long j = random.nextLong(seen);
                    if (j < size) {
                        reservoir.set((int) j, line);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the training split " + trainKey, e);
        }
        return reservoir;
    }

    /**
     * Adds one training line: a chat example's last assistant message is the completion and the messages before it
     * the prompt; a preference pair's {@code prompt} and {@code chosen} answer; a line of neither shape is left out
     * (dataset-service validated the version against its format).
     */
    private static boolean example(String line, TrafficFeatures features) {
        JsonNode node;
        try {
            node = EventCodec.mapper().readTree(line);
        } catch (IOException e) {
            return false;
        }
        if (node.path("messages").isArray()) {
            List<ChatMessage> messages = new ArrayList<>();
            for (JsonNode m : node.get("messages")) {
                if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
                    return false;
                }
                messages.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
            }
            int last = messages.size() - 1;
            if (last < 1 || !"assistant".equals(messages.get(last).role())) {
                return false;
            }
            features.add(messages.subList(0, last), messages.get(last).content());
            return true;
        }
        if (node.path("prompt").isTextual() && node.path("chosen").isTextual()) {
            features.add(List.of(new ChatMessage("user", node.get("prompt").asText())), node.get("chosen").asText());
            return true;
        }
        return false;
    }

    static ObjectNode write(TrafficSample sample) {
        ObjectNode json = EventCodec.mapper().createObjectNode();
        json.putPOJO("prompt_lengths", sample.promptLengths());
        json.putPOJO("completion_lengths", sample.completionLengths());
        long[] vocabulary = sample.completionVocabulary();
        ObjectNode v = json.putObject("completion_vocabulary");
        v.put("size", vocabulary.length);
        ArrayNode ids = v.putArray("ids");
        ArrayNode counts = v.putArray("counts");
        for (int id = 0; id < vocabulary.length; id++) {
            if (vocabulary[id] > 0) {
                ids.add(id);
                counts.add(vocabulary[id]);
            }
        }
        ArrayNode embeddings = json.putArray("prompt_embeddings");
        for (double[] e : sample.promptEmbeddings()) {
            embeddings.add(SparseEmbeddings.write(e));
        }
        json.put("valid_outputs", sample.validOutputs());
        json.put("checked_outputs", sample.checkedOutputs());
        return json;
    }

    static TrafficSample read(JsonNode json) {
        long[] vocabulary = new long[json.at("/completion_vocabulary/size").asInt()];
        JsonNode ids = json.at("/completion_vocabulary/ids");
        JsonNode counts = json.at("/completion_vocabulary/counts");
        for (int i = 0; i < ids.size(); i++) {
            vocabulary[ids.get(i).asInt()] = counts.get(i).asLong();
        }
        JsonNode sparse = json.path("prompt_embeddings");
        double[][] embeddings = new double[sparse.size()][];
        for (int k = 0; k < sparse.size(); k++) {
            embeddings[k] = SparseEmbeddings.read(sparse.get(k));
        }
        return new TrafficSample(doubles(json.path("prompt_lengths")), doubles(json.path("completion_lengths")),
                vocabulary, embeddings, json.path("valid_outputs").asLong(), json.path("checked_outputs").asLong());
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }
}
