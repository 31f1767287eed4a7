package dev.tuneforge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.worker.fixture.JsonTask;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tuneforge demo}: the seed's own example end to end against a running platform — teach the built-in
 * tiny base model to answer with nothing but the JSON object asked for. Generates the dataset (500 training
 * examples, 30 held-out prompts with names and ages training never sees), uploads it, fine-tunes, follows the
 * job, shows the evaluation against the base model and the promotion, and asks the champion through the
 * gateway's {@code /v1/chat/completions}. Every step is a public API call; the other commands print.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Walk the whole flow on a running platform (bin/tuneforge up): dataset → fine-tuning job →",
                "evaluation against the base model → promotion → a chat answer from the champion."},
        footer = ExitCodes.FOOTER)
class DemoCommand extends ApiCommand {

    /**
     * LoRA on every linear layer, rank 128 (the tiny model's hidden size): 480 steps on 500 examples, the learning
     * test's schedule. Measured on this 2-core machine: 27/30 held-out prompts exactly right (base model 0/30), in
     * about the time of full fine-tuning (261 s against 268 s of training); rank 64 reached 26/30, rank 32 25/30.
     */
    static final Map<String, Object> RECIPE = Map.ofEntries(Map.entry("epochs", 16), Map.entry("batch_size", 8),
            Map.entry("learning_rate", 1e-3), Map.entry("lr_scheduler", "cosine"), Map.entry("warmup_ratio", 0.05),
            Map.entry("weight_decay", 0.3), Map.entry("max_grad_norm", 1.0), Map.entry("packing", true),
            Map.entry("max_seq_length", 256), Map.entry("seed", 5), Map.entry("lora_r", 128),
            Map.entry("lora_alpha", 256), Map.entry("lora_dropout", 0.0), Map.entry("target_modules", "all-linear"));

    /** The runtimes a platform runs (the gateway checks again; this only spares a demo that would fail at step 3). */
    static final List<String> RUNTIMES = List.of("djl", "torch");

    @Option(names = "--base-model", paramLabel = "NAME", defaultValue = "tiny-llama",
            description = "Base model to fine-tune (default: ${DEFAULT-VALUE}, registered by bin/tuneforge up).")
    String baseModel;

    @Option(names = "--model-name", paramLabel = "NAME", defaultValue = "json-bot",
            description = "Registry name of the result (default: ${DEFAULT-VALUE}).")
    String modelName;

    @Option(names = "--runtime", paramLabel = "RUNTIME",
            description = {"The worker runtime that fine-tunes and evaluates: djl or torch (default: the platform's,",
                    "djl). `bin/tuneforge up` runs a slot of each; the first torch job makes its Python environment."})
    String runtime;

    @Option(names = "--timeout", paramLabel = "MINUTES", defaultValue = "20",
            description = "Give up after this many minutes (default: ${DEFAULT-VALUE}).")
    int timeoutMinutes;

    @Override
    void run(GatewayClient client) {
        if (runtime != null && !RUNTIMES.contains(runtime)) {
            // before anything is uploaded: the gateway would refuse the job only at step 3
            throw new CliException(ExitCodes.USAGE, "--runtime: must be one of " + String.join(", ", RUNTIMES)
                    + ", got '" + runtime + "'");
        }
        PrintWriter out = out();
        Instant deadline = Instant.now().plus(Duration.ofMinutes(timeoutMinutes));
        Instant start = Instant.now();
        List<String> connect = connection.key == null ? List.of("--url", client.url())
                : List.of("--url", client.url(), "--key", connection.key);

        step(out, "1/6", "base model " + baseModel);
        client.get("/api/v1/base-models/" + baseModel, Map.of());

        step(out, "2/6", "dataset: the JSON task, 500 training examples and 30 held-out prompts");
        String datasetId;
        try {
            Path dir = Files.createTempDirectory("tuneforge-demo");
            Set<String> seen = new HashSet<>();
            Path train = Files.writeString(dir.resolve("json-task.jsonl"), JsonTask.jsonl(500, 11, false, seen));
            Path heldOut = Files.writeString(dir.resolve("json-task-heldout.jsonl"), JsonTask.jsonl(30, 12, true, seen));
            JsonNode upload = client.upload("/api/v1/datasets", Map.of(), train, heldOut, Map.of("name", "json-task",
                    "format", "chat", "base_model", baseModel), bytes -> { });
            datasetId = upload.path("id").asText();
        } catch (java.io.IOException e) {
            throw new CliException(ExitCodes.ERROR, "cannot write the demo dataset: " + e.getMessage());
        }
        JsonNode dataset = await(deadline, "dataset " + datasetId, () -> {
            JsonNode d = client.get("/api/v1/datasets/" + datasetId, Map.of());
            return "validating".equals(d.path("status").asText()) ? null : d;
        });
        if (!"ready".equals(dataset.path("status").asText())) {
            throw new CliException(ExitCodes.ERROR, "the demo dataset was rejected: " + dataset);
        }
        out.printf("  %s ready: version %s%n", datasetId, dataset.path("version").asText());

        step(out, "3/6", "fine-tuning " + baseModel + (runtime == null ? "" : " on the " + runtime + " runtime")
                + " (LoRA r=128 on every linear layer, 480 steps on the CPU)");
        Map<String, Object> request = new java.util.LinkedHashMap<>(Map.of("base_model", baseModel, "dataset_id",
                datasetId, "method", "lora", "model_name", modelName, "hyperparameters", RECIPE));
        if (runtime != null) {
            request.put("runtime", runtime);
        }
        JsonNode job = client.post("/api/v1/jobs", request);
        String jobId = job.path("id").asText();
        out.flush();
        int followed = nested(connect, "jobs", "follow", jobId);
        if (followed != ExitCodes.OK) {
            throw new CliException(followed, "job " + jobId + " did not succeed");
        }

        step(out, "4/6", "evaluation: the fine-tuned model against the base model on the held-out prompts");
        JsonNode evaluated = await(deadline, "evaluation of " + jobId, () -> {
            JsonNode j = client.get("/api/v1/jobs/" + jobId, Map.of());
            return j.hasNonNull("eval_id") ? j : null;
        });
        out.flush();
        nested(connect, "evals", "show", evaluated.path("eval_id").asText());
        if (!"passed".equals(evaluated.path("eval_outcome").asText())) {
            throw new CliException(ExitCodes.ERROR, "the candidate did not pass its gate; see above");
        }

        step(out, "5/6", "promotion: " + modelName + "'s champion");
        await(deadline, "promotion of " + modelName, () -> {
            try {
                JsonNode m = client.get("/api/v1/models/" + modelName, Map.of());
                return m.hasNonNull("champion") ? m : null;
            } catch (CliException notYet) {
                return null;
            }
        });
        out.flush();
        nested(connect, "models", "show", modelName);

        step(out, "6/6", "chat with the champion through the gateway (/v1/chat/completions)");
        String prompt = "Give me a JSON object with name Tazori and age 52";
        JsonNode answer = client.post("/v1/chat/completions", Map.of("model", modelName, "temperature", 0,
                "max_tokens", 64, "messages", List.of(Map.of("role", "user", "content", prompt))));
        String content = answer.at("/choices/0/message/content").asText();
        out.println("  user:      " + prompt);
        out.println("  " + modelName + ":  " + content);
        boolean valid;
        try {
            valid = GatewayClient.JSON.readTree(content).isObject();
        } catch (Exception e) {
            valid = false;
        }
        out.printf("%nanswer is %s JSON; demo took %s%n", valid ? "valid" : "NOT valid",
                JobsCommand.Follower.duration(Duration.between(start, Instant.now()).toSeconds()));
        if (!valid) {
            throw new CliException(ExitCodes.ERROR, "the champion's answer is not a JSON object");
        }
    }

    /** Another command of this CLI, printing to the same output, talking to the same gateway. */
    private int nested(List<String> connect, String... args) {
        List<String> all = new java.util.ArrayList<>(List.of(args));
        all.addAll(connect);
        return TuneforgeCli.run(all.toArray(String[]::new), connection.env());
    }

    private static void step(PrintWriter out, String n, String what) {
        out.printf("%n== %s %s%n", n, what);
        out.flush();
    }

    private static JsonNode await(Instant deadline, String what, Supplier<JsonNode> poll) {
        while (Instant.now().isBefore(deadline)) {
            JsonNode value = poll.get();
            if (value != null) {
                return value;
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException(ExitCodes.ERROR, "interrupted");
            }
        }
        throw new CliException(ExitCodes.ERROR, "timed out waiting for " + what);
    }
}
