package dev.tuneforge.bench.load;

import dev.tuneforge.cli.CliEnv;
import dev.tuneforge.cli.TuneforgeCli;
import dev.tuneforge.events.Topics;
import dev.tuneforge.platform.EphemeralPlatform;
import dev.tuneforge.platform.ServiceProcess;
import dev.tuneforge.platform.ServiceProcess.Service;
import dev.tuneforge.platform.test.TopicClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The load test of issue #18 ("Load"): the whole platform as {@code bin/tuneforge up} runs it (five services from
 * their jars on an ephemeral stack, on free loopback ports; {@code tiny-llama} registered with the CLI as {@code up}
 * registers it), then three workloads one after another, each in a project of its own with a key per client:
 * dataset uploads ({@link UploadLoad}), chat requests ({@link ChatLoad}) and tiny fine-tuning jobs
 * ({@link JobLoad}; last, so that the evaluations the finished jobs set off do not share the CPU with the chat).
 * Prints the figures as Markdown and every check; exits 0 only if nothing failed and nothing was lost or doubled.
 *
 * <p>Usage: {@code LoadTest [--name value ...]} ({@link LoadOptions#USAGE}) with
 * {@code -Dtuneforge.repo=<repository root>}; the platform's files and logs stay in {@code bench/target/load}.
 */
public final class LoadTest {

    static final String BASE_MODEL = "tiny-llama";
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration SERVER_START = Duration.ofMinutes(5);

    private LoadTest() {
    }

    public static void main(String[] args) throws Exception {
        if (List.of(args).contains("--help")) {
            System.out.println(LoadOptions.USAGE);
            return;
        }
        LoadOptions options;
        try {
            options = LoadOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("load: " + e.getMessage() + "\n" + LoadOptions.USAGE);
            System.exit(2);
            return;
        }
        Path repo = Path.of(System.getProperty("tuneforge.repo", ".")).toAbsolutePath().normalize();
        boolean clean = run(repo, repo.resolve("bench/target/load"), options);
        System.exit(clean ? 0 : 1);
    }

    /**
     * Starts the platform with its files under {@code data}, runs the workloads, prints the figures and the checks,
     * stops the platform; true if nothing failed and nothing was lost or doubled. {@code LoadIT} runs it in CI.
     */
    static boolean run(Path repo, Path data, LoadOptions options) throws Exception {
        long start = System.nanoTime();
        System.out.printf("load test on %s, %d cores, %s; load average before: %s%n", cpuModel(),
                Runtime.getRuntime().availableProcessors(), memory(), loadAverage());
        System.out.printf("uploads: %s, %d lines each%njobs: %s, max_steps %d%nchat: %s, max_tokens %d%n",
                options.uploads(), options.examples(), options.jobs(), options.maxSteps(), options.chats(),
                options.maxTokens());
        boolean clean;
        try (EphemeralPlatform platform = EphemeralPlatform.start(repo, data,
                Service.ALL.stream().map(Service::module).toList(), SERVER_START, p -> System.out.println("load: " + p))) {
            System.out.printf("platform up in %d s: gateway %s, logs in %s%n",
                    Duration.ofNanos(System.nanoTime() - start).toSeconds(), platform.gateway().url(),
                    platform.data().resolve("logs"));
            clean = run(platform, options);
        }
        System.out.printf("%nload average after: %s; whole run %d s%n", loadAverage(),
                Duration.ofNanos(System.nanoTime() - start).toSeconds());
        System.out.println(clean ? "PASS: no errors, nothing lost" : "FAIL: see ✗ and ! above");
        return clean;
    }

    private static boolean run(EphemeralPlatform platform, LoadOptions options) throws Exception {
        registerBaseModel(platform);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        CallTally setupCalls = new CallTally();
        CallTally checkerCalls = new CallTally();
        TimedApi admin = new TimedApi(http, platform.gateway().url(), platform.adminKey(), setupCalls, CALL_TIMEOUT);
        TopicClient topics = new TopicClient(platform.stack().kafkaBootstrapServers());
        List<WorkloadResult> results = new ArrayList<>();

        if (options.uploads().count() > 0) {
            CallTally calls = new CallTally();
            try (LoadProject project = LoadProject.create(admin, http, "load-uploads", options.uploads().clients(),
                    calls, checkerCalls)) {
                System.out.println("load: uploads …");
                results.add(new UploadLoad(project, options.uploads(), options.examples(), BASE_MODEL).run(calls, topics));
            }
        }
        if (options.chats().count() > 0) {
            CallTally calls = new CallTally();
            try (LoadProject project = LoadProject.create(admin.withTimeout(options.chats().settle()), http,
                    "load-chat", options.chats().clients(), calls, checkerCalls)) {
                System.out.println("load: chat (warming the model server first) …");
                results.add(new ChatLoad(project, options.chats(), BASE_MODEL, options.maxTokens())
                        .run(calls, SERVER_START));
            }
        }
        if (options.jobs().count() > 0) {
            CallTally calls = new CallTally();
            try (LoadProject project = LoadProject.create(admin, http, "load-jobs", options.jobs().clients(), calls,
                    checkerCalls)) {
                System.out.println("load: jobs …");
                results.add(new JobLoad(project, options.jobs(), BASE_MODEL, options.maxSteps())
                        .run(calls, topics, options.jobs().settle()));
            }
        }

        List<Check> platformChecks = new ArrayList<>();
        platformChecks.add(deadLetters(topics));
        List<String> down = platform.services().stream().filter(s -> !s.isAlive()).map(ServiceProcess::name).toList();
        platformChecks.add(new Check("every service still running", down.isEmpty(),
                down.isEmpty() ? platform.services().size() + " of " + platform.services().size() : "exited: " + down));
        platformChecks.add(new Check("setup and check calls: no 5xx, none unanswered",
                Stream.of(setupCalls, checkerCalls).allMatch(c -> c.serverErrors() == 0 && c.noAnswers() == 0),
                (setupCalls.calls() + checkerCalls.calls()) + " calls, " + (setupCalls.serverErrors()
                        + checkerCalls.serverErrors()) + " 5xx, " + (setupCalls.noAnswers() + checkerCalls.noAnswers())
                        + " unanswered, " + (setupCalls.rateLimited() + checkerCalls.rateLimited()) + " 429"));
        LoadReport.print(System.out, results, platformChecks);
        return results.stream().allMatch(WorkloadResult::clean) && platformChecks.stream().allMatch(Check::passed);
    }

    /** No event of the run went to a dead-letter topic. */
    private static Check deadLetters(TopicClient topics) {
        List<String> found = new ArrayList<>();
        for (String topic : Topics.MAIN) {
            int n = topics.readAll(Topics.dlq(topic)).size();
            if (n > 0) {
                found.add(Topics.dlq(topic) + " " + n);
            }
        }
        return new Check("dead-letter topics empty", found.isEmpty(),
                found.isEmpty() ? "all " + Topics.MAIN.size() : found.toString());
    }

    /** {@code tiny-llama} written and registered by the CLI, as {@code bin/tuneforge up} does. */
    private static void registerBaseModel(EphemeralPlatform platform) throws IOException {
        Path dir = platform.data().resolve("base-models/" + BASE_MODEL);
        Map<String, String> env = Map.of("TUNEFORGE_URL", platform.gateway().url(),
                "TUNEFORGE_API_KEY", platform.adminKey(),
                "TUNEFORGE_CONFIG", platform.data().resolve("cli-config.json").toString(),
                "HOME", platform.data().toString());
        cli(env, "base-models", "write-tiny", dir.toString());
        cli(env, "base-models", "upload", dir.toString(), "--name", BASE_MODEL);
    }

    private static void cli(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        int code = TuneforgeCli.run(args, new CliEnv(env, new PrintWriter(out, true), new PrintWriter(out, true),
                new BufferedReader(new StringReader(""))));
        if (code != 0) {
            throw new IllegalStateException("tuneforge " + String.join(" ", args) + " exited " + code + ": " + out);
        }
        System.out.print("load: " + out);
    }

    private static String loadAverage() throws IOException {
        return Files.readString(Path.of("/proc/loadavg")).strip();
    }

    private static String cpuModel() throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("an unknown CPU");
        }
    }

    private static String memory() throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc/meminfo"))) {
            return lines.filter(l -> l.startsWith("MemTotal")).findFirst()
                    .map(l -> Long.parseLong(l.replaceAll("\\D", "")) / 1024 / 1024 + " GiB").orElse("? GiB");
        }
    }
}
