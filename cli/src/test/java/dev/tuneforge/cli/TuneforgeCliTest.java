package dev.tuneforge.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CLI without a gateway: help, usage errors and exit codes, and how it waits for a gateway that restarts (against a
 * stand-in). CliTest in gateway runs it against one.
 */
class TuneforgeCliTest {

    @TempDir
    Path home;

    record Run(int code, String out, String err) {
    }

    private Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CliEnv env = new CliEnv(Map.of("TUNEFORGE_CONFIG", home.resolve("config.json").toString()),
                new PrintWriter(out), new PrintWriter(err), new BufferedReader(new StringReader("")));
        return new Run(TuneforgeCli.run(args, env), out.toString(), err.toString());
    }

    @Test
    void everyCommandHasAMeaningfulHelp() {
        List<List<String>> commands = new ArrayList<>();
        collect(new CommandLine(new TuneforgeCli(null)), new ArrayList<>(), commands);
        assertTrue(commands.size() >= 12, "commands: " + commands);
        for (List<String> command : commands) {
            List<String> args = new ArrayList<>(command);
            args.add("--help");
            Run help = cli(args.toArray(String[]::new));
            String name = String.join(" ", command);
            assertEquals(0, help.code(), name + " --help: " + help.err());
            assertTrue(help.out().startsWith("Usage: tuneforge"), name + ": " + help.out());
            assertTrue(help.out().contains("Exit codes: 0 ok"), name + " lists the exit codes");
            CommandLine spec = new CommandLine(new TuneforgeCli(null));
            for (String sub : command) {
                spec = spec.getSubcommands().get(sub);
            }
            String[] description = spec.getCommandSpec().usageMessage().description();
            assertTrue(description.length > 0 && description[0].length() > 20, name + " says what it does");
            assertTrue(help.out().replaceAll("\\s+", " ").contains(description[0].substring(0, 20)), name + ": " + help.out());
        }
    }

    @Test
    void anEvaluationShowsTheFewShotBaselineAsAColumnWithItsKAndTheCandidatesWinsAgainstIt() throws Exception {
        var report = new com.fasterxml.jackson.databind.ObjectMapper().readTree("""
                {"subjects": {"candidate": {"metrics": {"exact_match": 0.5}, "ci95": {"exact_match": [0.3, 0.7]}},
                              "base": {"metrics": {"exact_match": 0.1}},
                              "few_shot": {"metrics": {"exact_match": 0.25}, "ci95": {"exact_match": [0.1, 0.4]}, "k": 3}},
                 "candidate_vs_few_shot": {"exact_match": {"wins": 3, "losses": 1, "ties": 6}}}""");
        List<List<String>> table = EvalsCommand.sideBySide(report.path("subjects"));
        assertEquals(List.of("METRIC", "CANDIDATE", "BASE", "FEW-SHOT k=3"), table.get(0));
        assertEquals("0.2500 [0.1000, 0.4000]", table.get(1).get(3));
        assertEquals(List.of("candidate vs few-shot, exact_match: 3 wins, 1 losses, 6 ties"), EvalsCommand.fewShot(report));
        assertEquals(List.of("few-shot baseline (k=3) not evaluated: no training split"), EvalsCommand.fewShot(
                new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                        "{\"few_shot_skipped\": {\"k\": 3, \"reason\": \"no training split\"}}")));
    }

    @Test
    void usageErrorsExitWith2() {
        assertEquals(ExitCodes.USAGE, cli().code());
        assertEquals(ExitCodes.USAGE, cli("no-such-command").code());
        assertEquals(ExitCodes.USAGE, cli("projects").code());
        assertEquals(ExitCodes.USAGE, cli("keys", "rotate").code(), "missing KEY_ID");
        assertEquals(ExitCodes.USAGE, cli("events", "--limit", "many").code());
    }

    @Test
    void theDemoRefusesAnUnknownRuntimeBeforeItUploadsAnything() {
        // a gateway that is not there: the demo must not get as far as calling it
        Run run = cli("demo", "--runtime", "tpu", "--key", "tf_test", "--url", "http://127.0.0.1:9");
        assertEquals(ExitCodes.USAGE, run.code(), run.err());
        assertTrue(run.err().contains("--runtime: must be one of djl, torch, got 'tpu'"), run.err());
    }

    @Test
    void aTinyModelIsWrittenWithoutAnyNativeLibrary() {
        Run run = cli("base-models", "write-tiny", home.resolve("tiny").toString());
        assertEquals(0, run.code(), run.err());
        for (String file : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")) {
            assertTrue(java.nio.file.Files.isRegularFile(home.resolve("tiny").resolve(file)), file);
        }
    }

    @Test
    void settingsKeepTheirTypes() {
        assertEquals(Map.of("epochs", 3L, "lr", 0.001, "packing", true, "epochs_auto", "auto",
                        "target_modules", List.of("q_proj", "v_proj")),
                Settings.parse(List.of("epochs=3", "lr=0.001", "packing=true", "epochs_auto=auto",
                        "target_modules=q_proj,v_proj"), "--set"));
        assertEquals(ExitCodes.USAGE, cli("jobs", "create", "--dataset", "ds", "--base-model", "m", "--set", "novalue",
                "--key", "tf_x").code());
        assertEquals(ExitCodes.USAGE, cli("jobs", "create", "--base-model", "m", "--key", "tf_x").code(), "--dataset is required");
        assertEquals(ExitCodes.USAGE, cli("jobs").code());
    }

    @Test
    void jobsAndPipelinesTakeEveryMethodAndPromptTuningsStartingTextAsItIs() {
        for (String command : List.of("jobs", "pipelines")) {
            String help = cli(command, "create", "--help").out().replaceAll("\\s+", " ");
            for (String method : List.of("lora", "full", "dpo", "qlora", "prompt_tuning", "prefix_tuning")) {
                assertTrue(help.contains(method), command + " create --help names " + method + ": " + help);
            }
            assertTrue(help.contains("--init-text=TEXT"), help);
        }
        JobsCommand.Create create = new JobsCommand.Create();
        new CommandLine(create).parseArgs("--dataset", "ds", "--base-model", "m", "--method", "prompt_tuning",
                "--set", "num_virtual_tokens=8", "--init-text", "Answer briefly, in JSON.");
        assertEquals("prompt_tuning", create.recipe.method);
        assertEquals(Map.of("num_virtual_tokens", 8L, "init", "text", "init_text", "Answer briefly, in JSON."),
                create.recipe.hyperparameters(), "the text's comma does not make it a list");
    }

    @Test
    void withoutAKeyCommandsExitWith3AndSayHowToLogIn() {
        Run run = cli("projects", "list");
        assertEquals(ExitCodes.AUTH, run.code());
        assertTrue(run.err().contains("tuneforge login"), run.err());
    }

    @Test
    void anUnreachableGatewayExitsWith1() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Run run = cli("projects", "list", "--url", "http://127.0.0.1:" + port, "--key", "tf_x");
        assertEquals(ExitCodes.ERROR, run.code());
        assertTrue(run.err().contains("cannot reach the gateway"), run.err());
    }

    @Test
    void aGatewayReachedBeforeIsWaitedForWhileItRestarts() throws Exception {
        HttpServer gateway = projects(0, new AtomicInteger(), exchange -> answer(exchange, 200, PROJECTS));
        int port = gateway.getAddress().getPort();
        String url = "http://127.0.0.1:" + port;
        assertEquals(ExitCodes.OK, cli("projects", "list", "--url", url, "--key", "tf_x").code());

        gateway.stop(0); // killed; it is back on its port a second later
        ScheduledExecutorService restart = Executors.newSingleThreadScheduledExecutor();
        AtomicReference<HttpServer> restarted = new AtomicReference<>();
        restart.schedule(() -> restarted.set(projects(port, new AtomicInteger(),
                exchange -> answer(exchange, 200, PROJECTS))), 1, TimeUnit.SECONDS);
        try {
            Run run = cli("projects", "list", "--url", url, "--key", "tf_x");
            assertEquals(ExitCodes.OK, run.code(), run.err());
            assertTrue(run.out().contains("acme"), run.out());
        } finally {
            restart.shutdown();
            assertTrue(restart.awaitTermination(10, TimeUnit.SECONDS));
            restarted.get().stop(0);
        }
    }

    @Test
    void aGetAnswered503IsAskedAgainButAPostThatReachedTheGatewayIsNeverRepeated() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        HttpServer gateway = projects(0, requests, exchange -> {
            if (exchange.getRequestMethod().equals("POST")) {
                answer(exchange, 500, "{\"title\":\"Internal error\"}");
            } else {
                answer(exchange, requests.get() <= 2 ? 503 : 200, PROJECTS); // starting, starting, ready
            }
        });
        String url = "http://127.0.0.1:" + gateway.getAddress().getPort();
        try {
            Run list = cli("projects", "list", "--url", url, "--key", "tf_x");
            assertEquals(ExitCodes.OK, list.code(), list.err());
            assertEquals(3, requests.get(), "asked until it answered");

            requests.set(0);
            assertEquals(ExitCodes.ERROR, cli("projects", "create", "acme", "--url", url, "--key", "tf_x").code());
            assertEquals(1, requests.get(), "a POST the gateway received is not sent again");
        } finally {
            gateway.stop(0);
        }
    }

    @Test
    void aPostAnswered503WasNotCarriedOutAndIsSentAgain() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        HttpServer gateway = projects(0, requests, exchange -> {
            if (requests.get() <= 2) { // its database restarting: rolled back, 503
                answer(exchange, 503, "{\"title\":\"Service unavailable\"}");
            } else {
                answer(exchange, 201, "{\"id\":\"acme\",\"created_at\":\"2025-01-01T00:00:00Z\"}");
            }
        });
        String url = "http://127.0.0.1:" + gateway.getAddress().getPort();
        try {
            Run create = cli("projects", "create", "acme", "--url", url, "--key", "tf_x");
            assertEquals(ExitCodes.OK, create.code(), create.err());
            assertEquals(3, requests.get(), "sent until it was carried out");
        } finally {
            gateway.stop(0);
        }
    }

    private static final String PROJECTS = "{\"data\":[{\"id\":\"acme\",\"created_at\":\"2025-01-01T00:00:00Z\"}],"
            + "\"has_more\":false}";

    /** A stand-in gateway on {@code port} (0: any) answering {@code /api/v1/projects}, counting its requests. */
    private static HttpServer projects(int port, AtomicInteger requests, HttpHandler handler) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
            server.createContext("/api/v1/projects", exchange -> {
                requests.incrementAndGet();
                handler.handle(exchange);
            });
            server.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void answer(HttpExchange exchange, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static void collect(CommandLine command, List<String> path, List<List<String>> into) {
        command.getSubcommands().forEach((name, sub) -> {
            if (name.equals("help")) {
                return;
            }
            List<String> subPath = new ArrayList<>(path);
            subPath.add(name);
            into.add(subPath);
            collect(sub, subPath, into);
        });
        if (path.isEmpty()) {
            into.add(List.of());
        }
    }
}
