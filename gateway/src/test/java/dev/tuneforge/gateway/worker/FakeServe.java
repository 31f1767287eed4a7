package dev.tuneforge.gateway.worker;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

/**
 * A stand-in for {@code worker serve --model DIR --port 0}, run as a real process for the cases a real server
 * cannot be made to show on demand: it speaks the protocol's part the gateway uses (the {@code serving} event,
 * {@code GET /health}, {@code POST /v1/chat/completions}) and misbehaves as files in its model directory say:
 * <ul>
 * <li>{@code health-<pid>} holds the status {@code /health} answers with (default 200);</li>
 * <li>{@code ignore-term}: SIGTERM does not end it (its shutdown hook never returns, as in a wedged server), only
 *     SIGKILL does; it writes {@code term-<pid>} when SIGTERM arrives.</li>
 * </ul>
 * It writes its pid to {@code pid} once it serves, and its {@code --adapters} directory, if any, to {@code adapters}. Only the JDK: the gateway's tests start it from their classes.
 */
public final class FakeServe {

    private FakeServe() {
    }

    /** The command line prefix that runs this program, as {@code WorkerCommand} gives one for a runtime. */
    static List<String> commandPrefix() {
        String classes;
        try {
            classes = Path.of(FakeServe.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx32m",
                "-XX:TieredStopAtLevel=1", "-cp", classes, FakeServe.class.getName());
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(option(args, "--model"));
        long pid = ProcessHandle.current().pid();
        if (Files.exists(model.resolve("ignore-term"))) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    Files.writeString(model.resolve("term-" + pid), "SIGTERM");
                    new CountDownLatch(1).await();
                } catch (IOException | InterruptedException e) {
                    // wedged either way
                }
            }));
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/health", exchange -> {
            Path status = model.resolve("health-" + pid);
            answer(exchange, Files.exists(status) ? Integer.parseInt(Files.readString(status).strip()) : 200,
                    "{\"status\":\"ok\"}");
        });
        server.createContext("/v1/chat/completions", exchange -> answer(exchange, 200,
                "{\"object\":\"chat.completion\",\"model\":\"fake\",\"choices\":[{\"index\":0,\"message\":"
                        + "{\"role\":\"assistant\",\"content\":\"" + pid + "\"},\"finish_reason\":\"stop\"}]}"));
        server.start();
        int port = server.getAddress().getPort();
        Files.writeString(model.resolve("pid"), Long.toString(pid));
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--adapters")) {
                Files.writeString(model.resolve("adapters"), args[i + 1]);
            }
        }
        System.out.println("{\"event\":\"serving\",\"host\":\"127.0.0.1\",\"port\":" + port
                + ",\"model\":\"fake\",\"url\":\"http://127.0.0.1:" + port + "/v1\"}");
        System.out.flush();
        new CountDownLatch(1).await();
    }

    private static void answer(HttpExchange exchange, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static String option(String[] args, String name) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        throw new IllegalArgumentException("no " + name);
    }
}
