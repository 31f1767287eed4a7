package dev.tuneforge.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * A project of its own for one workload, with a member key per client and one more that follows the project's
 * events and checks the ledger afterwards. The gateway's rate limit is per key (a token bucket: by default 200 at
 * once, refilled at 50/s), so each client has a bucket of its own and the limit is not what the load test
 * measures; 429s are counted all the same.
 */
record LoadProject(String id, List<TimedApi> clients, TimedApi checker, ProjectEvents events) implements AutoCloseable {

    /** Creates the project and its keys with the platform admin key, and starts following its events. */
    static LoadProject create(TimedApi admin, HttpClient http, String id, int clients,
                              CallTally clientCalls, CallTally checkerCalls) {
        TimedApi.require(admin.postJson("/api/v1/projects", Map.of("id", id)), 201, "creating project " + id);
        List<TimedApi> apis = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            apis.add(admin.as(newKey(admin, id, "load client " + c), clientCalls));
        }
        String checkerKey = newKey(admin, id, "load checker");
        return new LoadProject(id, List.copyOf(apis), admin.as(checkerKey, checkerCalls),
                ProjectEvents.follow(http, admin.url(), checkerKey, id));
    }

    private static String newKey(TimedApi admin, String project, String name) {
        return TimedApi.require(admin.postJson("/api/v1/keys", Map.of("project_id", project, "name", name,
                "role", "member")), 201, "creating a key in " + project).path("secret").asText();
    }

    /**
     * {@code GET /api/v1/<collection>/{id}} of every item reads {@code field} = {@code expected}, as a user asking
     * afterwards sees it.
     */
    Check everyReads(String collection, Collection<String> ids, String field, String expected) {
        List<String> wrong = new ArrayList<>();
        for (String id : ids) {
            JsonNode item = TimedApi.require(checker.get("/api/v1/" + collection + "/" + id), 200, "reading " + id);
            if (!expected.equals(item.path(field).asText())) {
                wrong.add(id + " " + item.path(field).asText());
            }
        }
        return new Check("API: GET /api/v1/" + collection + "/{id} of every accepted one reads " + field + " "
                + expected, wrong.isEmpty(), wrong.isEmpty() ? ids.size() + " of " + ids.size() : wrong.toString());
    }

    /** The project's event stream never dropped while the workload ran. */
    Check eventStreamKept() {
        return new Check("event stream drops", events.drops() == 0, Integer.toString(events.drops()));
    }

    @Override
    public void close() {
        events.close();
    }
}
