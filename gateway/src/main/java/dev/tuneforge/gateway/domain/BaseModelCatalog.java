package dev.tuneforge.gateway.domain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.kit.naming.Names;
import dev.tuneforge.kit.recipe.Recipe;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.kit.storage.ObjectStore;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The platform-wide catalogue of base models in S3: a Hugging Face model directory under
 * {@code base-models/{name}/} and, written last, its {@code manifest.json}, whose presence means the
 * model is complete (trainer-service reads it to stage the model). The manifest lists every file with
 * its size and sha256, and {@code sha256}: the SHA-256 of the lines {@code "<path> <sha256>\n"} sorted by
 * path, the model's identity. Registering a name again with the same files changes nothing; with other
 * files it is refused.
 */
@ApplicationScoped
public class BaseModelCatalog {

    public static final String MANIFEST = "manifest.json";
    /** Architectures the worker runs (DESIGN §7): Llama-family decoders. */
    public static final Set<String> MODEL_TYPES = Set.of("llama", "mistral", "qwen2");
    /** When a config has no max_position_embeddings, recipes assume this context length. */
    static final int DEFAULT_MAX_POSITIONS = 2048;

    private static final String SAFETENSORS = "model.safetensors";
    private static final String SAFETENSORS_INDEX = "model.safetensors.index.json";
    private static final String TOKENIZER = "tokenizer.json";
    private static final List<String> REQUIRED_CONFIG = List.of("hidden_size", "num_hidden_layers",
            "num_attention_heads", "vocab_size");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectStore objects;

    public BaseModelCatalog(ObjectStore objects) {
        this.objects = objects;
    }

    /** What a registration did: the manifest, and whether it was new. */
    public record Registration(JsonNode manifest, boolean created) {
    }

    /** A base model's name follows the naming rule ({@link Names}): it is a segment of its object keys. */
    public static void checkName(String name) {
        if (name == null || name.isBlank()) {
            throw DomainException.missing("'name' is required");
        }
        Names.nameProblem("name", name).ifPresent(problem -> {
            throw DomainException.unprocessable("invalid-base-model", "Invalid base model name", List.of(problem));
        });
    }

    /** Checks the model directory, uploads its files, then its manifest. */
    public Registration register(String name, BaseModelArchive model) {
        checkName(name);
        ObjectNode config = check(model);
        ObjectNode manifest = manifest(name, model, config);
        Optional<JsonNode> existing = find(name);
        if (existing.isPresent()) {
            if (existing.get().path("sha256").asText().equals(manifest.path("sha256").asText())) {
                return new Registration(existing.get(), false);
            }
            throw DomainException.conflict("base model '" + name + "' is registered already with other files (sha256 "
                    + existing.get().path("sha256").asText() + "); register this one under another name");
        }
        String prefix = ObjectKeys.baseModel(name);
        for (BaseModelArchive.File file : model.files().values()) {
            try (InputStream in = Files.newInputStream(file.location())) {
                objects.put(prefix + file.path(), in, file.size(), contentType(file.path()));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file.path(), e);
            }
        }
        try {
            objects.put(prefix + MANIFEST, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest),
                    "application/json");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Registration(manifest, true);
    }

    /** The manifest of a registered model. */
    public Optional<JsonNode> find(String name) {
        if (!Names.isName(name)) {
            return Optional.empty();
        }
        String key = ObjectKeys.baseModel(name) + MANIFEST;
        if (!objects.exists(key)) {
            return Optional.empty();
        }
        try (InputStream in = objects.get(key)) {
            return Optional.of(JSON.readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + key, e);
        }
    }

    /** Every registered model's manifest, by name. */
    public List<JsonNode> list() {
        // "base-models/": the catalogue's prefix (ObjectKeys.baseModel of an empty name would end in "//").
        String root = ObjectKeys.baseModel("").replaceAll("/+$", "/");
        List<JsonNode> manifests = new ArrayList<>();
        for (String key : objects.list(root)) {
            String rest = key.substring(root.length());
            if (rest.endsWith("/" + MANIFEST) && rest.indexOf('/') == rest.length() - MANIFEST.length() - 1) {
                find(rest.substring(0, rest.indexOf('/'))).ifPresent(manifests::add);
            }
        }
        return manifests;
    }

    public List<String> names() {
        return list().stream().map(manifest -> manifest.path("name").asText()).toList();
    }

    /** What recipes need to know of a registered model. */
    public static Recipe.BaseModelShape shape(JsonNode manifest) {
        JsonNode config = manifest.path("config");
        return new Recipe.BaseModelShape(config.path("hidden_size").asInt(),
                config.path("max_position_embeddings").isNumber() ? config.path("max_position_embeddings").asInt()
                        : DEFAULT_MAX_POSITIONS);
    }

    /** Every reason the directory is not a complete Llama-family model, at once; the config on success. */
    private static ObjectNode check(BaseModelArchive model) {
        List<String> errors = new ArrayList<>();
        var files = model.files();
        ObjectNode config = JSON.createObjectNode();
        if (files.containsKey(MANIFEST)) {
            errors.add(MANIFEST + ": the name is reserved for the catalogue's manifest; leave it out");
        }
        BaseModelArchive.File configFile = files.get("config.json");
        if (configFile == null) {
            errors.add("config.json: missing (the model's Hugging Face config)");
        } else {
            JsonNode parsed = readJson(configFile, errors);
            if (parsed != null) {
                String type = parsed.path("model_type").asText(null);
                if (type == null) {
                    errors.add("config.json: model_type is missing");
                } else if (!MODEL_TYPES.contains(type)) {
                    errors.add("config.json: model_type '" + type + "' is not supported; supported: "
                            + String.join(", ", MODEL_TYPES.stream().sorted().toList()) + " (Llama-family decoders)");
                }
                config.put("model_type", type);
                for (String field : REQUIRED_CONFIG) {
                    JsonNode value = parsed.path(field);
                    if (!value.canConvertToInt() || !value.isIntegralNumber() || value.asInt() <= 0) {
                        errors.add("config.json: " + field + " must be a positive integer, "
                                + (value.isMissingNode() ? "is missing" : "was " + value));
                    } else {
                        config.put(field, value.asInt());
                    }
                }
                JsonNode positions = parsed.path("max_position_embeddings");
                if (positions.isIntegralNumber() && positions.asInt() > 0) {
                    config.put("max_position_embeddings", positions.asInt());
                } else {
                    config.putNull("max_position_embeddings");
                }
            }
        }
        if (!files.containsKey(SAFETENSORS)) {
            BaseModelArchive.File index = files.get(SAFETENSORS_INDEX);
            if (index == null) {
                errors.add(SAFETENSORS + ": missing (or " + SAFETENSORS_INDEX + " with its shards)");
            } else {
                JsonNode parsed = readJson(index, errors);
                if (parsed != null) {
                    JsonNode weightMap = parsed.path("weight_map");
                    if (!weightMap.isObject() || weightMap.isEmpty()) {
                        errors.add(SAFETENSORS_INDEX + ": weight_map is missing or empty");
                    } else {
                        Set<String> shards = new LinkedHashSet<>();
                        weightMap.forEach(shard -> shards.add(shard.asText()));
                        for (String shard : shards) {
                            if (!files.containsKey(shard)) {
                                errors.add(shard + ": missing (a shard listed in " + SAFETENSORS_INDEX + ")");
                            }
                        }
                    }
                }
            }
        }
        if (!files.containsKey(TOKENIZER)) {
            errors.add(TOKENIZER + ": missing (the model's fast tokenizer)");
        }
        if (!errors.isEmpty()) {
            throw DomainException.unprocessable("invalid-base-model", "Not a complete base model", errors);
        }
        return config;
    }

    private static JsonNode readJson(BaseModelArchive.File file, List<String> errors) {
        try {
            JsonNode node = JSON.readTree(file.location().toFile());
            if (node == null || !node.isObject()) {
                errors.add(file.path() + ": not a JSON object");
                return null;
            }
            return node;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            errors.add(file.path() + ": not valid JSON (" + e.getOriginalMessage() + ")");
            return null;
        } catch (IOException e) {
            errors.add(file.path() + ": cannot be read (" + e.getMessage() + ")");
            return null;
        }
    }

    private static ObjectNode manifest(String name, BaseModelArchive model, ObjectNode config) {
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("name", name);
        ArrayNode files = manifest.putArray("files");
        StringBuilder lines = new StringBuilder();
        for (BaseModelArchive.File file : model.files().values()) {
            files.addObject().put("path", file.path()).put("size", file.size()).put("sha256", file.sha256());
            lines.append(file.path()).append(' ').append(file.sha256()).append('\n');
        }
        manifest.put("sha256", HexFormat.of().formatHex(
                BaseModelArchive.sha256().digest(lines.toString().getBytes(StandardCharsets.UTF_8))));
        manifest.set("config", config);
        manifest.put("registered_at", OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MILLIS).toString());
        return manifest;
    }

    private static String contentType(String path) {
        return path.endsWith(".json") ? "application/json"
                : path.endsWith(".jinja") || path.endsWith(".txt") || path.endsWith(".md") ? "text/plain"
                : "application/octet-stream";
    }
}
