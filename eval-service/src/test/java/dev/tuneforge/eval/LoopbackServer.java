package dev.tuneforge.eval;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP server on the loopback interface that counts the requests it gets and answers each with a schema a
 * validator would happily use ({@code {"type": "string"}}): the target of a server-side request forgery, so a test
 * can assert that none reached it.
 */
public final class LoopbackServer implements AutoCloseable {

    private final HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();

    private LoopbackServer(HttpServer server) {
        this.server = server;
    }

    public static LoopbackServer start() throws IOException {
        LoopbackServer s = new LoopbackServer(HttpServer.create(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0));
        s.server.createContext("/", exchange -> {
            s.requests.incrementAndGet();
            byte[] body = "{\"type\": \"string\"}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/schema+json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        s.server.start();
        return s;
    }

    /** {@code http://127.0.0.1:<port>}, without a trailing slash. */
    public String url() {
        return "http://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort();
    }

    public int requests() {
        return requests.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
