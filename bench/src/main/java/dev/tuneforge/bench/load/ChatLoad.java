package dev.tuneforge.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Workload (c): each client sends a chat request to the base model ({@code POST /v1/chat/completions}, a short
 * answer) and waits for it before the next. The gateway's serving pool starts a local {@code worker serve} for the
 * model at its first request, so one request warms it first, timed apart and not counted. Measures request →
 * answer; an answer is good when it is a 200 with a message in its first choice.
 */
final class ChatLoad {

    private final LoadProject project;
    private final Workload workload;
    private final String model;
    private final int maxTokens;

    ChatLoad(LoadProject project, Workload workload, String model, int maxTokens) {
        this.project = project;
        this.workload = workload;
        this.model = model;
        this.maxTokens = maxTokens;
    }

    WorkloadResult run(CallTally calls, Duration warmUpWithin) throws InterruptedException {
        Samples warmUp = new Samples();
        Failures failures = new Failures();
        List<Check> checks = new ArrayList<>();
        TimedApi.Outcome first = project.checker().withTimeout(warmUpWithin).postJson("/v1/chat/completions",
                request(-1));
        boolean warm = answered(first, failures, "warm-up");
        if (warm) {
            warmUp.add(((TimedApi.Answer) first).latency());
        }
        checks.add(new Check("warm-up request answered (the server started)", warm,
                warm ? "in " + Math.round(warmUp.max()) + " ms" : "no: " + failures.kept()));
        Samples latency = new Samples();
        AtomicInteger completed = new AtomicInteger();
        Clients.Run run = Clients.run("chat", warm ? workload : new Workload(1, 0, Duration.ZERO, Duration.ZERO),
                failures, (client, i) -> {
                    TimedApi.Outcome outcome = project.clients().get(client).postJson("/v1/chat/completions", request(i));
                    if (answered(outcome, failures, "chat " + i)) {
                        latency.add(((TimedApi.Answer) outcome).latency());
                        completed.incrementAndGet();
                    }
                });
        return new WorkloadResult("chat", workload, run.started(), run.started(), completed.get(), run.elapsed(), calls,
                failures, List.of(new WorkloadResult.Latency("warm-up: first request, server start (not counted)", warmUp),
                new WorkloadResult.Latency("request → answer: POST /v1/chat/completions → 200", latency)), checks);
    }

    private Map<String, Object> request(int i) {
        return Map.of("model", model, "max_tokens", maxTokens, "temperature", 0, "messages",
                List.of(Map.of("role", "user", "content", "Request " + i + ": name a colour.")));
    }

    /** A 200 whose first choice holds a message. */
    private static boolean answered(TimedApi.Outcome outcome, Failures failures, String what) {
        if (!(outcome instanceof TimedApi.Answer answer) || answer.status() != 200) {
            failures.add(what + " not answered (see the calls)");
            return false;
        }
        JsonNode message = answer.json().path("choices").path(0).path("message");
        if (!message.path("content").isTextual()) {
            failures.add(what + ": no message in the answer: " + answer.body());
            return false;
        }
        return true;
    }
}
