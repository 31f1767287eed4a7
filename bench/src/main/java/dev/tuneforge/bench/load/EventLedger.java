package dev.tuneforge.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.CloudEventHeaders;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.EventType;
import dev.tuneforge.platform.test.TopicClient;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The events of a project's items after a workload, counted as distinct CloudEvents ids per subject and type: the
 * test of "nothing lost, nothing doubled". Read two ways: the project's event list through the API (every page of
 * {@code GET /api/v1/events}: what the gateway's read model holds), and the topic itself on Kafka (what the
 * services published). A redelivered record has the id of the first, so it is one event; a second event with
 * another id about the same item is a second effect.
 */
record EventLedger(String source, Map<String, Map<String, Set<String>>> bySubject) {

    private static final int PAGE = 200;

    /** The project's whole event list, as the checker key of its project reads it. */
    static EventLedger fromApi(TimedApi api) {
        Map<String, Map<String, Set<String>>> ids = new HashMap<>();
        String after = null;
        do {
            JsonNode page = TimedApi.require(api.get("/api/v1/events?limit=" + PAGE
                    + (after == null ? "" : "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8))), 200,
                    "reading the project's events");
            for (JsonNode event : page.path("data")) {
                add(ids, event.path("subject").asText(), event.path("type").asText(), event.path("id").asText());
            }
            after = page.path("has_more").asBoolean() ? page.path("next_after").asText() : null;
        } while (after != null);
        return new EventLedger("API events", ids);
    }

    /** Every record of {@code topic} about the project (the subject is the record's key). */
    static EventLedger fromKafka(TopicClient topics, String topic, String project) {
        Map<String, Map<String, Set<String>>> ids = new HashMap<>();
        for (ConsumerRecord<String, String> r : topics.readAll(topic)) {
            String type = TopicClient.header(r, CloudEventHeaders.TYPE);
            Optional<EventType> known = type == null ? Optional.empty() : EventType.byName(type);
            if (known.isPresent() && project.equals(EventCodec.read(known.get(), r.value()).projectId())) {
                add(ids, r.key(), type, TopicClient.header(r, CloudEventHeaders.ID));
            }
        }
        return new EventLedger("Kafka " + topic, ids);
    }

    /** This ledger and another (of another topic) together. */
    EventLedger merge(EventLedger other) {
        Map<String, Map<String, Set<String>>> ids = new HashMap<>();
        for (EventLedger ledger : List.of(this, other)) {
            ledger.bySubject.forEach((subject, byType) -> byType.forEach((type, eventIds) ->
                    eventIds.forEach(id -> add(ids, subject, type, id))));
        }
        return new EventLedger(source + " + " + other.source.replaceFirst("^Kafka ", ""), ids);
    }

    private static void add(Map<String, Map<String, Set<String>>> ids, String subject, String type, String id) {
        ids.computeIfAbsent(subject, s -> new HashMap<>()).computeIfAbsent(type, t -> new HashSet<>()).add(id);
    }

    /** Distinct events of {@code types} about {@code subject}. */
    int count(String subject, Collection<String> types) {
        Map<String, Set<String>> byType = bySubject.getOrDefault(subject, Map.of());
        return types.stream().mapToInt(t -> byType.getOrDefault(t, Set.of()).size()).sum();
    }

    /** Subjects with at least one event of {@code type}. */
    Set<String> subjectsWith(String type) {
        Set<String> subjects = new HashSet<>();
        bySubject.forEach((subject, byType) -> {
            if (byType.containsKey(type)) {
                subjects.add(subject);
            }
        });
        return subjects;
    }

    /**
     * Every item has exactly one event of {@code types} (together), e.g. one terminal event of a job whichever it
     * is; the check names the items that have none or more than one.
     */
    Check exactlyOnce(Collection<String> items, Collection<String> types, String what) {
        List<String> wrong = new ArrayList<>();
        for (String item : items) {
            int n = count(item, types);
            if (n != 1) {
                wrong.add(item + " ×" + n);
            }
        }
        return new Check(source + ": every accepted " + what, wrong.isEmpty(),
                wrong.isEmpty() ? items.size() + " of " + items.size() + " exactly once"
                        : wrong.size() + " not exactly once: " + abbreviated(wrong));
    }

    /** No item has an event of {@code type} (e.g. a rejection, a failure). */
    Check never(Collection<String> items, String type, String what) {
        List<String> found = items.stream().filter(item -> count(item, List.of(type)) > 0).toList();
        return new Check(source + ": " + what, found.isEmpty(),
                found.isEmpty() ? "none" : found.size() + ": " + abbreviated(found));
    }

    /**
     * No item the clients were not told about: every subject with an event of {@code type} (an upload stored, a job
     * requested) is one the gateway accepted, so no call that failed left half an item behind.
     */
    Check noneBut(Collection<String> items, String type, String what) {
        Set<String> unknown = new HashSet<>(subjectsWith(type));
        items.forEach(unknown::remove);
        return new Check(source + ": no " + what + " but the accepted ones", unknown.isEmpty(),
                unknown.isEmpty() ? "none other" : unknown.size() + " other: " + abbreviated(List.copyOf(unknown)));
    }

    private static String abbreviated(List<String> items) {
        return items.size() <= 5 ? items.toString() : items.subList(0, 5) + " …";
    }
}
