package dev.tuneforge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** {@code tuneforge events [--follow]}. */
@Command(name = "events", mixinStandardHelpOptions = true,
        description = {"Your project's events (datasets, training, evaluation, registry, monitoring), oldest first.",
                "With --follow, stream them live as they happen (Server-Sent Events), reconnecting without losing any."},
        footer = ExitCodes.FOOTER)
class EventsCommand extends ApiCommand {

    @Option(names = {"-f", "--follow"}, description = "Keep printing new events as they arrive (Ctrl-C stops).")
    boolean follow;

    @Option(names = "--after", paramLabel = "SEQ",
            description = "Start after the event with this seq. Default: the beginning, or with --follow, now.")
    Long after;

    @Option(names = "--limit", paramLabel = "N", description = "Without --follow: at most N events (1-200, default 50).")
    Integer limit;

    @Option(names = "--count", paramLabel = "N", description = "With --follow: stop after N events.")
    Integer count;

    @Override
    void run(GatewayClient client) {
        if (!follow) {
            Map<String, Object> query = new HashMap<>();
            query.put("after", after);
            query.put("limit", limit);
            printPage(client.get("/api/v1/events", query), List.of("SEQ", "TIME", "TYPE", "SUBJECT"),
                    List.of(e -> text(e, "seq"), e -> text(e, "time"), e -> text(e, "type"), e -> text(e, "subject")));
            return;
        }
        if (count != null && count < 1) {
            throw new CliException(ExitCodes.USAGE, "--count must be at least 1");
        }
        AtomicInteger seen = new AtomicInteger();
        client.follow(after == null ? null : after.toString(), event -> {
            print(event);
            out().flush();
            return count == null || seen.incrementAndGet() < count;
        });
    }

    private void print(GatewayClient.SseEvent event) {
        if (json()) {
            out().println(event.data());
            return;
        }
        try {
            JsonNode data = GatewayClient.JSON.readTree(event.data());
            out().println(String.join("  ", text(data, "seq"), text(data, "time"), text(data, "type"),
                    text(data, "subject")));
        } catch (IOException e) {
            out().println(event.id() + "  " + event.name() + "  " + event.data());
        }
    }
}
