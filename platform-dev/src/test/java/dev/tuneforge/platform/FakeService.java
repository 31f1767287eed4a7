package dev.tuneforge.platform;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * Stands in for a Quarkus service in {@link ServiceProcessTest}: serves {@code /q/health/ready} on
 * {@code quarkus.http.port}, answering with the {@code kafka.bootstrap.servers} it was given, and
 * {@code /q/health/live} (503 once {@code fake.live-for-ms} have passed).
 * Packed alone into a jar, so it must stay a single class.
 */
public final class FakeService {

    private FakeService() {
    }

    public static void main(String[] args) throws Exception {
        if (Boolean.getBoolean("fake.fail")) {
            System.out.println("fake service: failing on purpose");
            System.exit(3);
        }
        HttpServer server = HttpServer.create(
                new InetSocketAddress(System.getProperty("quarkus.http.host"), Integer.getInteger("quarkus.http.port")), 0);
        server.createContext("/q/health/ready", exchange -> {
            byte[] body = System.getProperty("kafka.bootstrap.servers", "").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        long liveFor = Long.getLong("fake.live-for-ms", Long.MAX_VALUE);
        long started = System.currentTimeMillis();
        server.createContext("/q/health/live", exchange -> {
            exchange.sendResponseHeaders(System.currentTimeMillis() - started < liveFor ? 200 : 503, -1);
            exchange.close();
        });
        server.start();
        System.out.println("fake service: listening");
    }
}
