package dev.tuneforge.bench.load;

import dev.tuneforge.events.EventType;
import dev.tuneforge.events.Topics;
import dev.tuneforge.platform.test.TopicClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Workload (a): each client uploads a small valid JSONL file of its own ({@code POST /api/v1/datasets}, distinct
 * content every time) and waits until its project's event stream says it is ready, then uploads the next. Measures
 * the accept latency (POST → 202) and accepted → ready (the 202 → the {@code dataset.ready} event arriving here);
 * afterwards every accepted upload must have been stored once, be ready exactly once and never rejected, on Kafka
 * and in the API, and read {@code ready}.
 */
final class UploadLoad {

    static final String UPLOADED = EventType.DATASET_UPLOADED.typeName();
    static final String READY = EventType.DATASET_READY.typeName();
    static final String REJECTED = EventType.DATASET_REJECTED.typeName();

    private final LoadProject project;
    private final Workload workload;
    private final int examples;
    private final String baseModel;

    UploadLoad(LoadProject project, Workload workload, int examples, String baseModel) {
        this.project = project;
        this.workload = workload;
        this.examples = examples;
        this.baseModel = baseModel;
    }

    WorkloadResult run(CallTally calls, TopicClient topics) throws InterruptedException {
        Samples accept = new Samples();
        Samples ready = new Samples();
        Failures failures = new Failures();
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        AtomicInteger completed = new AtomicInteger();
        Clients.Run run = Clients.run("upload", workload, failures, (client, i) -> {
            TimedApi.Outcome outcome = project.clients().get(client).post("/api/v1/datasets?name=load-" + i
                    + "&format=chat&base_model=" + baseModel, "application/jsonl", jsonl(i, examples));
            if (!(outcome instanceof TimedApi.Answer answer) || answer.status() != 202) {
                failures.add("upload " + i + " not accepted (see the calls)");
                return;
            }
            accept.add(answer.latency());
            String id = answer.json().path("id").asText();
            accepted.add(id);
            Optional<ProjectEvents.Seen> outcomeEvent = project.events().await(id, Set.of(READY, REJECTED),
                    answer.answeredAt() + workload.settle().toNanos());
            if (outcomeEvent.isEmpty()) {
                failures.add("upload " + i + " (" + id + ") not ready within " + workload.settle().toSeconds() + " s");
            } else if (!outcomeEvent.get().type().equals(READY)) {
                failures.add("upload " + i + " (" + id + ") was rejected");
            } else {
                ready.between(answer.answeredAt(), outcomeEvent.get().arrivedAt());
                completed.incrementAndGet();
            }
        });
        List<Check> checks = new ArrayList<>();
        checks.addAll(ledgerChecks(EventLedger.fromApi(project.checker()), accepted));
        checks.addAll(ledgerChecks(EventLedger.fromKafka(topics, Topics.DATASETS, project.id()), accepted));
        checks.add(project.everyReads("datasets", accepted, "status", "ready"));
        checks.add(project.eventStreamKept());
        return new WorkloadResult("uploads", workload, run.started(), accepted.size(), completed.get(), run.elapsed(),
                calls, failures, List.of(new WorkloadResult.Latency("accept: POST /api/v1/datasets → 202", accept),
                new WorkloadResult.Latency("accepted → ready (event stream)", ready)), checks);
    }

    private static List<Check> ledgerChecks(EventLedger ledger, Set<String> accepted) {
        return List.of(ledger.exactlyOnce(accepted, List.of(UPLOADED), "upload stored"),
                ledger.exactlyOnce(accepted, List.of(READY), "upload ready"),
                ledger.never(accepted, REJECTED, "uploads rejected"),
                ledger.noneBut(accepted, UPLOADED, "uploads stored"));
    }

    /** A small valid chat-format file whose every line is the upload's own: no two uploads have the same content. */
    static String jsonl(int upload, int examples) {
        StringBuilder b = new StringBuilder();
        for (int e = 0; e < examples; e++) {
            b.append("{\"messages\":[{\"role\":\"user\",\"content\":\"Upload ").append(upload).append(", question ")
                    .append(e).append(": what is ").append(e).append(" plus ").append(upload)
                    .append("?\"},{\"role\":\"assistant\",\"content\":\"{\\\"sum\\\": ").append(e + upload)
                    .append("}\"}]}\n");
        }
        return b.toString();
    }
}
