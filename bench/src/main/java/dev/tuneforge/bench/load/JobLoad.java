package dev.tuneforge.bench.load;

import dev.tuneforge.events.EventType;
import dev.tuneforge.events.Topics;
import dev.tuneforge.platform.test.TopicClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Workload (b): each client submits a tiny LoRA job ({@code POST /api/v1/jobs}, a few steps on the tiny base model,
 * on a dataset of the project made ready first) and waits until its project's event stream says it has ended, then
 * submits the next. Measures the accept latency (POST → 201), accepted → started and accepted → finished (the
 * events arriving here). Jobs of the default runtime share trainer-service's one slot of it, so accepted → started
 * includes the wait behind the other clients' jobs. Afterwards every accepted job must have been requested once and
 * have exactly one terminal event, which is {@code finished}, on Kafka and in the API, and read {@code succeeded}.
 */
final class JobLoad {

    static final String REQUESTED = EventType.TRAINING_REQUESTED.typeName();
    static final String STARTED = EventType.TRAINING_STARTED.typeName();
    static final String FINISHED = EventType.TRAINING_FINISHED.typeName();
    static final String FAILED = EventType.TRAINING_FAILED.typeName();
    static final String CANCELLED = EventType.TRAINING_CANCELLED.typeName();
    static final Set<String> TERMINAL = Set.of(FINISHED, FAILED, CANCELLED);

    private final LoadProject project;
    private final Workload workload;
    private final String baseModel;
    private final Map<String, Object> hyperparameters;

    JobLoad(LoadProject project, Workload workload, String baseModel, int maxSteps) {
        this.project = project;
        this.workload = workload;
        this.baseModel = baseModel;
        this.hyperparameters = Map.of("max_steps", maxSteps, "batch_size", 2, "lora_r", 2, "save_steps", 1000);
    }

    WorkloadResult run(CallTally calls, TopicClient topics, Duration datasetReadyWithin) throws InterruptedException {
        String dataset = readyDataset(datasetReadyWithin);
        Samples accept = new Samples();
        Samples started = new Samples();
        Samples finished = new Samples();
        Failures failures = new Failures();
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        AtomicInteger completed = new AtomicInteger();
        Clients.Run run = Clients.run("job", workload, failures, (client, i) -> {
            TimedApi.Outcome outcome = project.clients().get(client).postJson("/api/v1/jobs", Map.of(
                    "base_model", baseModel, "dataset_id", dataset, "hyperparameters", hyperparameters));
            if (!(outcome instanceof TimedApi.Answer answer) || answer.status() != 201) {
                failures.add("job " + i + " not accepted (see the calls)");
                return;
            }
            accept.add(answer.latency());
            String id = answer.json().path("id").asText();
            accepted.add(id);
            long deadline = answer.answeredAt() + workload.settle().toNanos();
            Optional<ProjectEvents.Seen> end = project.events().await(id, TERMINAL, deadline);
            if (end.isEmpty()) {
                failures.add("job " + i + " (" + id + ") did not end within " + workload.settle().toSeconds() + " s");
                return;
            }
            project.events().await(id, Set.of(STARTED), deadline)
                    .ifPresent(start -> started.between(answer.answeredAt(), start.arrivedAt()));
            if (!end.get().type().equals(FINISHED)) {
                failures.add("job " + i + " (" + id + ") ended with " + end.get().type());
            } else {
                finished.between(answer.answeredAt(), end.get().arrivedAt());
                completed.incrementAndGet();
            }
        });
        List<Check> checks = new ArrayList<>();
        EventLedger api = EventLedger.fromApi(project.checker());
        checks.addAll(ledgerChecks(api, accepted));
        checks.addAll(ledgerChecks(EventLedger.fromKafka(topics, Topics.COMMANDS, project.id())
                .merge(EventLedger.fromKafka(topics, Topics.TRAINING, project.id())), accepted));
        checks.add(project.everyReads("jobs", accepted, "state", "succeeded"));
        checks.add(project.eventStreamKept());
        return new WorkloadResult("jobs", workload, run.started(), accepted.size(), completed.get(), run.elapsed(),
                calls, failures, List.of(new WorkloadResult.Latency("accept: POST /api/v1/jobs → 201", accept),
                new WorkloadResult.Latency("accepted → started (event stream)", started),
                new WorkloadResult.Latency("accepted → finished (event stream)", finished)), checks);
    }

    private static List<Check> ledgerChecks(EventLedger ledger, Set<String> accepted) {
        return List.of(ledger.exactlyOnce(accepted, List.of(REQUESTED), "job requested"),
                ledger.exactlyOnce(accepted, TERMINAL, "job's terminal event"),
                ledger.exactlyOnce(accepted, List.of(FINISHED), "job finished"),
                ledger.noneBut(accepted, REQUESTED, "jobs requested"));
    }

    /** The dataset the jobs train on, uploaded by the checker key and ready; not part of the measured load. */
    private String readyDataset(Duration within) throws InterruptedException {
        String id = TimedApi.require(project.checker().post("/api/v1/datasets?name=load-jobs&format=chat&base_model="
                + baseModel, "application/jsonl", UploadLoad.jsonl(1_000_000, 40)), 202, "uploading the jobs' dataset")
                .path("id").asText();
        Optional<ProjectEvents.Seen> ready = project.events().await(id, Set.of(UploadLoad.READY, UploadLoad.REJECTED),
                System.nanoTime() + within.toNanos());
        if (ready.isEmpty() || !ready.get().type().equals(UploadLoad.READY)) {
            throw new IllegalStateException("the jobs' dataset " + id + " is not ready: "
                    + ready.map(ProjectEvents.Seen::type).orElse("no outcome within " + within));
        }
        return id;
    }
}
