package dev.tuneforge.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.platform.EmbeddedStack;
import dev.tuneforge.platform.EphemeralPlatform;
import dev.tuneforge.platform.ServiceProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Services of the platform as processes on one ephemeral stack for a test class ({@code @RegisterExtension
 * static}), started as {@code bin/tuneforge up} starts them ({@link EphemeralPlatform}), with the gateway's API
 * and the CLI under the platform admin key. Everything it writes (work directories, logs in {@code logs/}, the
 * CLI's files) is under {@code system-tests/target/<name>}, emptied first. A {@link #supervised()} platform starts
 * a service that exits again, on its port, as {@code up} does.
 */
final class Platform implements BeforeAllCallback, AfterAllCallback {

    private final String name;
    private final List<String> modules;
    private final Map<String, Map<String, String>> overrides = new HashMap<>();
    private boolean supervised;
    private Path data;
    private EphemeralPlatform platform;
    private Api api;
    private Cli cli;

    private Platform(String name, List<String> modules) {
        this.name = name;
        this.modules = modules;
    }

    /** The gateway and these other services. */
    static Platform of(String name, String... modules) {
        return new Platform(name, List.of(modules));
    }

    /** Services that exit are started again, on the same port, by a supervisor as under {@code up}. */
    Platform supervised() {
        this.supervised = true;
        return this;
    }

    /** {@code properties} for {@code module}, over what {@code up} gives it. */
    Platform with(String module, Map<String, String> properties) {
        overrides.computeIfAbsent(module, m -> new HashMap<>()).putAll(properties);
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        Path repo = Path.of(System.getProperty("tuneforge.repo", "..")).toAbsolutePath().normalize();
        data = repo.resolve("system-tests/target/" + name);
        platform = EphemeralPlatform.start(repo, data, modules,
                new EphemeralPlatform.Options(overrides, supervised), Duration.ofMinutes(4), System.out::println);
        api = new Api(gateway().url(), adminKey());
        cli = new Cli(repo, gateway().url(), adminKey(), data.resolve("cli"));
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        if (platform != null) {
            platform.close();
            assertNoSecretInLogs();
        }
    }

    /** An API key's secret as the gateway makes them. */
    private static final Pattern API_KEY_SECRET = Pattern.compile("tf_[A-Za-z0-9_-]{20,}");

    /**
     * No secret reached a log (issue #18, 10): every log the services and their workers wrote during the test —
     * service logs, worker logs in the work directories — is searched for API-key secrets (the admin key and any
     * other, by their form) and the S3 secret key. The demo's own console output is the user's, not a log.
     */
    private void assertNoSecretInLogs() throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(data)) {
            for (Path log : files.filter(f -> f.getFileName().toString().endsWith(".log")).toList()) {
                String text = Files.readString(log, java.nio.charset.StandardCharsets.ISO_8859_1);
                Matcher key = API_KEY_SECRET.matcher(text);
                if (key.find()) {
                    found.add(data.relativize(log) + ": an API key secret (" + key.group().substring(0, 6) + "...)");
                }
                if (text.contains(EmbeddedStack.S3_SECRET_KEY)) {
                    found.add(data.relativize(log) + ": the S3 secret key");
                }
            }
        }
        assertTrue(found.isEmpty(), "secrets in logs: " + found);
    }

    /** Where this platform's files are. */
    Path data() {
        return data;
    }

    EmbeddedStack stack() {
        return platform.stack();
    }

    ServiceProcess gateway() {
        return platform.gateway();
    }

    /** The process that runs {@code module} now: a supervised service has a new one after each restart. */
    ServiceProcess service(String module) {
        return platform.service(module);
    }

    String adminKey() {
        return platform.adminKey();
    }

    Api api() {
        return api;
    }

    Cli cli() {
        return cli;
    }

    /**
     * {@code tuneforge demo} with {@code args}, as a user runs it after {@code up}: {@code tiny-llama} written and
     * registered first (as {@code up} does), the demo's output kept in {@code logs/demo.out}; fails unless the demo
     * exits 0 with a valid JSON answer from the champion.
     */
    Cli.Run demo(String... args) throws Exception {
        Cli.Run demo = runDemo(args);
        assertOk(demo);
        assertTrue(demo.output().contains("answer is valid JSON"), demo.output());
        return demo;
    }

    /** {@link #demo}, however it ends; {@code tiny-llama} is registered once, the outputs appended. */
    Cli.Run runDemo(String... args) throws Exception {
        Path tiny = data.resolve("base-models/tiny-llama");
        if (!Files.isDirectory(tiny)) {
            assertOk(cli.run("base-models", "write-tiny", tiny.toString()));
            assertOk(cli.run("base-models", "upload", tiny.toString(), "--name", "tiny-llama"));
        }
        List<String> command = new ArrayList<>(List.of("demo"));
        command.addAll(List.of(args));
        Cli.Run demo = cli.run(command.toArray(String[]::new));
        Files.writeString(data.resolve("logs/demo.out"), demo.output(), StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        return demo;
    }

    private static void assertOk(Cli.Run run) {
        assertEquals(0, run.exitCode(), run.output());
    }
}
