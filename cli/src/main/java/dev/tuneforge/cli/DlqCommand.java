package dev.tuneforge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code tuneforge admin dlq list|show|replay}: the dead-letter topics, through the gateway's admin API. */
@Command(name = "dlq", mixinStandardHelpOptions = true,
        description = {"Dead letters: records a service's consumer could not process (platform admin key only).",
                "Every consumer of a topic dead-letters to <topic>.dlq and names itself (service, channel); a"
                        + " transient fault (database, S3, broker) is retried instead, never dead-lettered."},
        subcommands = {DlqCommand.ListDeadLetters.class, DlqCommand.Show.class, DlqCommand.Replay.class},
        footer = ExitCodes.FOOTER)
class DlqCommand implements Callable<Integer> {

    static final String PATH = "/api/v1/admin/dead-letters";

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return TuneforgeCli.usage(spec, ((TuneforgeCli) spec.root().userObject()).env());
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List dead letters (pending ones unless --status says otherwise), by topic and offset.",
            footer = ExitCodes.FOOTER)
    static class ListDeadLetters extends ApiCommand {

        @Option(names = "--topic", paramLabel = "TOPIC", description = "Only this topic's (e.g. tuneforge.datasets).")
        String topic;

        @Option(names = "--service", paramLabel = "SERVICE", description = "Only those this service dead-lettered.")
        String service;

        @Option(names = "--status", paramLabel = "STATUS", description = "pending (default), replayed or all.")
        String status;

        @Option(names = "--limit", paramLabel = "N", description = "At most N dead letters (1-200, default 50).")
        Integer limit;

        @Option(names = "--after", paramLabel = "ID", description = "Start after this dead letter.")
        String after;

        @Override
        void run(GatewayClient client) {
            Map<String, Object> query = new HashMap<>();
            query.put("topic", topic);
            query.put("service", service);
            query.put("status", status);
            query.put("limit", limit);
            query.put("after", after);
            JsonNode page = client.get(PATH, query);
            printPage(page, List.of("ID", "SERVICE", "CHANNEL", "EVENT", "REPLAYED", "REASON"), List.of(
                    d -> text(d, "id"), d -> text(d, "service"), d -> text(d, "channel"), d -> text(d, "event_type"),
                    d -> d.path("replay").isObject() ? text(d.path("replay"), "replayed_at") : "-",
                    d -> shortened(text(d, "reason"))));
        }

        private static String shortened(String reason) {
            return reason.length() <= 100 ? reason : reason.substring(0, 99) + "…";
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Show one dead letter: which consumer failed and why, where it came from, its headers and"
                    + " value.", footer = ExitCodes.FOOTER)
    static class Show extends ApiCommand {

        @Parameters(paramLabel = "ID", description = "The dead letter's id, as `list` prints it (<dlq topic>:<partition>:<offset>).")
        String id;

        @Override
        void run(GatewayClient client) {
            JsonNode letter = client.get(PATH + "/" + id, Map.of());
            if (json()) {
                printJson(letter);
                return;
            }
            Map<String, String> lines = new LinkedHashMap<>();
            lines.put("dead-lettered", text(letter, "dead_lettered_at"));
            lines.put("consumer", text(letter, "service") + " / " + text(letter, "channel"));
            lines.put("from", text(letter, "topic") + "-" + text(letter, "partition") + "@" + text(letter, "offset")
                    + ", key " + text(letter, "key"));
            lines.put("event", text(letter, "event_type") + " " + text(letter, "event_id"));
            lines.put("kind", text(letter, "kind") + ", " + text(letter, "attempts") + " attempt(s)");
            lines.put("reason", text(letter, "reason"));
            lines.put("exception", text(letter, "exception_class") + (letter.hasNonNull("cause_class")
                    ? " (cause " + text(letter, "cause_class") + ": " + text(letter, "cause") + ")" : ""));
            JsonNode replay = letter.path("replay");
            lines.put("replayed", replay.isObject() ? "to " + text(replay, "replayed_to") + " at "
                    + text(replay, "replayed_at") + " by " + text(replay, "replayed_by") : "no");
            out().println("Dead letter " + text(letter, "id"));
            lines.forEach((name, value) -> out().printf("  %-14s %s%n", name + ":", value));
            out().println("  headers:");
            letter.path("headers").properties().forEach(h -> out().println("    " + h.getKey() + ": " + h.getValue().asText()));
            out().println("  value:");
            out().println("    " + text(letter, "value"));
        }
    }

    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = {"Send a dead letter (or every pending one of --topic) back to the topic it came from,"
                    + " unchanged: the consumer that failed processes it again, the others already have it.",
                    "Replay after the cause is fixed; a record that fails again is dead-lettered anew."},
            footer = ExitCodes.FOOTER)
    static class Replay extends ApiCommand {

        @Parameters(paramLabel = "ID", arity = "0..1", description = "The dead letter to replay.")
        String id;

        @Option(names = "--topic", paramLabel = "TOPIC", description = "Replay every pending dead letter of this topic.")
        String topic;

        @Option(names = "--service", paramLabel = "SERVICE", description = "With --topic: only this service's.")
        String service;

        @Override
        void run(GatewayClient client) {
            if ((id == null) == (topic == null)) {
                throw new CliException(ExitCodes.USAGE, "name one dead letter (ID) or --topic, not both");
            }
            if (service != null && topic == null) {
                throw new CliException(ExitCodes.USAGE, "--service goes with --topic");
            }
            Map<String, String> body = new HashMap<>();
            body.put("id", id);
            body.put("topic", topic);
            body.put("service", service);
            JsonNode result = client.post(PATH + "/replay", body);
            if (json()) {
                printJson(result);
                return;
            }
            for (JsonNode replayed : result.path("replayed")) {
                out().println("Replayed " + text(replayed, "id") + " to " + text(replayed, "replayed_to") + ".");
            }
            if (topic != null) {
                out().println(result.path("replayed").size() + " dead letter(s) replayed.");
            }
        }
    }
}
