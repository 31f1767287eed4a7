package dev.tuneforge.system;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import com.openai.models.finetuning.jobs.FineTuningJob;
import com.openai.models.finetuning.jobs.FineTuningJobEvent;
import com.openai.models.finetuning.jobs.JobCreateParams;
import com.openai.models.finetuning.jobs.checkpoints.FineTuningJobCheckpoint;
import com.openai.models.finetuning.methods.SupervisedHyperparameters;
import com.openai.models.finetuning.methods.SupervisedMethod;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The official OpenAI SDKs, unchanged but for their base URL and key, drive whole fine-tunes against the running
 * platform (issue #15): upload, create, follow until {@code succeeded} with events, checkpoints, chat and stream with
 * the fine-tuned model and with a checkpoint, cancel a second job, a wrong key, a bad file. The Python SDK runs
 * {@code src/test/python/openai_sdk_finetune.py} and the README's example in the torch runtime's environment (which
 * has {@code openai} for its tests); the Java SDK ({@code com.openai:openai-java}) runs here.
 */
class OpenAiSdkIT {

    private static final String BASE_MODEL = "tiny-llama";
    private static final Set<FineTuningJob.Status> TERMINAL = Set.of(FineTuningJob.Status.SUCCEEDED,
            FineTuningJob.Status.FAILED, FineTuningJob.Status.CANCELLED);

    @RegisterExtension
    static final Platform platform = Platform.of("openai", "dataset-service", "trainer-service");

    @BeforeAll
    static void tinyLlamaIsABaseModel() throws Exception {
        Path model = TinyLlamaWriter.write(Files.createTempDirectory("tiny"), TinyLlamaWriter.Spec.small());
        Cli.Run register = platform.cli().run("base-models", "upload", model.toString(), "--name", BASE_MODEL);
        assertEquals(0, register.exitCode(), register.output());
    }

    /** A member key of a project of its own: what a team's code would be given. */
    private static String projectKey() throws Exception {
        String project = "sdk-" + UUID.randomUUID().toString().substring(0, 8);
        platform.api().post("/api/v1/projects", Map.of("id", project), 201);
        return platform.api().post("/api/v1/keys", Map.of("project_id", project, "role", "member", "name", "sdk"), 201)
                .path("secret").asText();
    }

    @Test
    void thePythonSdkFineTunesFollowsChatsCancelsAndReportsErrors() throws Exception {
        Path work = Files.createDirectories(platform.data().resolve("python-sdk"));
        Path script = repo().resolve("system-tests/src/test/python/openai_sdk_finetune.py");
        PythonRun run = python(work, projectKey(), script.toString());
        assertEquals(0, run.exitCode(), run.output());
        assertTrue(run.output().contains("sdk: PASS"), run.output());
    }

    @Test
    void theReadmesPythonExampleRunsAsItIsWritten() throws Exception {
        String readme = Files.readString(repo().resolve("README.md"));
        Matcher example = Pattern.compile("## Use the OpenAI SDK.*?```python\\n(.*?)```", Pattern.DOTALL)
                .matcher(readme);
        assertTrue(example.find(), "README.md has a '## Use the OpenAI SDK' section with a python example");
        long lines = example.group(1).lines().filter(l -> !l.isBlank() && !l.startsWith("#")).count();
        assertTrue(lines <= 12, "the example is short: " + lines + " lines of code");
        Path work = Files.createDirectories(platform.data().resolve("readme-example"));
        StringBuilder train = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            train.append("{\"messages\":[{\"role\":\"user\",\"content\":\"Name ").append(i).append("?\"},")
                    .append("{\"role\":\"assistant\",\"content\":\"N").append(i).append("\"}]}\n");
        }
        Files.writeString(work.resolve("train.jsonl"), train);
        Path script = Files.writeString(work.resolve("example.py"), example.group(1));
        PythonRun run = python(work, projectKey(), script.toString());
        assertEquals(0, run.exitCode(), run.output());
        assertTrue(run.output().startsWith("succeeded ft:" + BASE_MODEL + ":"), run.output());
    }

    @Test
    void theJavaSdkFineTunesFollowsChatsCancelsAndReportsErrors() throws Exception {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(platform.gateway().url() + "/v1")
                .apiKey(projectKey()).maxRetries(2).timeout(Duration.ofMinutes(2)).build();
        Path work = Files.createDirectories(platform.data().resolve("java-sdk"));
        Path train = Files.writeString(work.resolve("train.jsonl"), chat(0, 24));

        FileObject file = client.files().create(FileCreateParams.builder().file(train)
                .purpose(FilePurpose.FINE_TUNE).build());
        assertEquals("train.jsonl", file.filename());
        assertEquals(Files.size(train), file.bytes());
        FineTuningJob job = client.fineTuning().jobs().create(JobCreateParams.builder().model(BASE_MODEL)
                .trainingFile(file.id()).suffix("java")
                .method(JobCreateParams.Method.builder().type(JobCreateParams.Method.Type.SUPERVISED)
                        .supervised(SupervisedMethod.builder().hyperparameters(SupervisedHyperparameters.builder()
                                .nEpochs(1L).batchSize(2L)
                                .putAdditionalProperty("max_steps", JsonValue.from(4))
                                .putAdditionalProperty("save_steps", JsonValue.from(2))
                                .putAdditionalProperty("lora_r", JsonValue.from(2)).build()).build()).build())
                .build());
        assertEquals(FineTuningJob.Status.VALIDATING_FILES, job.status());
        job = waitFor(client, job.id());
        assertEquals(FineTuningJob.Status.SUCCEEDED, job.status(), job.error().toString());
        String model = job.fineTunedModel().orElseThrow();
        assertEquals("ft:" + BASE_MODEL + ":" + job.organizationId() + ":java:" + job.id(), model);

        List<FineTuningJobEvent> events = new ArrayList<>();
        client.fineTuning().jobs().listEvents(job.id()).autoPager().forEach(events::add);
        assertEquals("The job has successfully completed", events.getFirst().message());
        // One metrics event per training step (and one per validation, at its step).
        assertEquals(Set.of(1L, 2L, 3L, 4L), events.stream()
                .filter(e -> e.type().map(t -> t.asString().equals("metrics")).orElse(false))
                .map(e -> ((Number) e._data().convert(Map.class).get("step")).longValue())
                .collect(java.util.stream.Collectors.toSet()), events.toString());
        List<FineTuningJobCheckpoint> checkpoints = client.fineTuning().jobs().checkpoints().list(job.id()).data();
        assertFalse(checkpoints.isEmpty());
        assertTrue(checkpoints.getLast().fineTunedModelCheckpoint().startsWith(model + ":ckpt-step-"));

        ChatCompletionCreateParams question = ChatCompletionCreateParams.builder().model(model)
                .addUserMessage("Name 3?").maxTokens(8L).temperature(0.0).build();
        ChatCompletion answer = client.chat().completions().create(question);
        String text = answer.choices().getFirst().message().content().orElseThrow();
        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(question)) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(c -> c.delta().content().ifPresent(streamed::append)));
        }
        assertEquals(text, streamed.toString());
        ChatCompletion early = client.chat().completions().create(question.toBuilder()
                .model(checkpoints.getLast().fineTunedModelCheckpoint()).build());
        assertTrue(early.choices().getFirst().message().content().isPresent());

        FineTuningJob longJob = client.fineTuning().jobs().create(JobCreateParams.builder().model(BASE_MODEL)
                .trainingFile(file.id()).hyperparameters(JobCreateParams.Hyperparameters.builder().nEpochs(1L)
                        .putAdditionalProperty("max_steps", JsonValue.from(100000)).build()).build());
        client.fineTuning().jobs().cancel(longJob.id());
        assertEquals(FineTuningJob.Status.CANCELLED, waitFor(client, longJob.id()).status());

        OpenAIClient wrongKey = client.withOptions(options -> options.apiKey("tf_not-a-key-of-this-platform-0000000"));
        assertThrows(UnauthorizedException.class, () -> wrongKey.fineTuning().jobs().list());

        Path badFile = Files.writeString(work.resolve("bad.jsonl"), chat(0, 2) + "{not json\n");
        FileObject bad = client.files().create(FileCreateParams.builder().file(badFile)
                .purpose(FilePurpose.FINE_TUNE).build());
        FineTuningJob failed = waitFor(client, client.fineTuning().jobs().create(JobCreateParams.builder()
                .model(BASE_MODEL).trainingFile(bad.id()).build()).id());
        assertEquals(FineTuningJob.Status.FAILED, failed.status());
        FineTuningJob.Error error = failed.error().orElseThrow();
        assertEquals("invalid_file_format", error.code());
        assertTrue(error.message().contains("line 3"), error.message());
        assertEquals("training_file", error.param().orElseThrow());
    }

    /** The job once it has ended, as the SDK retrieves it. */
    private static FineTuningJob waitFor(OpenAIClient client, String id) {
        return await().atMost(Duration.ofMinutes(6)).pollInterval(Duration.ofMillis(500))
                .alias("job " + id + " ends")
                .until(() -> client.fineTuning().jobs().retrieve(id), job -> TERMINAL.contains(job.status()));
    }

    private static String chat(int first, int last) {
        StringBuilder lines = new StringBuilder();
        for (int i = first; i < last; i++) {
            lines.append("{\"messages\":[{\"role\":\"user\",\"content\":\"Name ").append(i).append("?\"},")
                    .append("{\"role\":\"assistant\",\"content\":\"Name ").append(i).append(" is N").append(i)
                    .append(".\"}]}\n");
        }
        return lines.toString();
    }

    private record PythonRun(int exitCode, String output) {
    }

    /** A Python program in the torch runtime's environment, with only its base URL and key from the environment. */
    private static PythonRun python(Path work, String key, String script) throws IOException, InterruptedException {
        Path python = repo().resolve("worker/python/.venv/bin/python");
        assertTrue(Files.isExecutable(python), "the torch runtime's environment is made first: " + python);
        ProcessBuilder builder = new ProcessBuilder(python.toString(), script).directory(work.toFile())
                .redirectErrorStream(true).redirectOutput(work.resolve("python.out").toFile());
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(name -> name.startsWith("OPENAI_"));
        env.put("OPENAI_BASE_URL", platform.gateway().url() + "/v1");
        env.put("OPENAI_API_KEY", key);
        env.put("TUNEFORGE_BASE_MODEL", BASE_MODEL);
        Process process = builder.start();
        if (!process.waitFor(15, TimeUnit.MINUTES)) {
            process.destroyForcibly();
        }
        String output = Files.readString(work.resolve("python.out"), StandardCharsets.UTF_8);
        System.out.println(output);
        return new PythonRun(process.isAlive() ? -1 : process.exitValue(), output);
    }

    private static Path repo() {
        return Path.of(System.getProperty("tuneforge.repo", "..")).toAbsolutePath().normalize();
    }
}
