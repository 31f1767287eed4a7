package dev.tuneforge.bench.load;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every HTTP call of one workload by its outcome: answered 2xx, 429 (the per-key rate limit, counted apart: the
 * load is sized so that it is not what is measured), another 4xx, 5xx, or no answer at all (refused, reset, timed
 * out). The first few problems are kept word for word for the report.
 */
final class CallTally {

    private static final int KEPT_PROBLEMS = 10;

    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong successes = new AtomicLong();
    private final AtomicLong rateLimited = new AtomicLong();
    private final AtomicLong clientErrors = new AtomicLong();
    private final AtomicLong serverErrors = new AtomicLong();
    private final AtomicLong noAnswers = new AtomicLong();
    private final Queue<String> problems = new ConcurrentLinkedQueue<>();

    void answered(String call, int status, String body) {
        calls.incrementAndGet();
        if (status >= 200 && status < 300) {
            successes.incrementAndGet();
            return;
        }
        if (status == 429) {
            rateLimited.incrementAndGet();
        } else if (status >= 500) {
            serverErrors.incrementAndGet();
        } else {
            clientErrors.incrementAndGet();
        }
        keep(call + " → " + status + " " + abbreviated(body));
    }

    void noAnswer(String call, Exception cause) {
        calls.incrementAndGet();
        noAnswers.incrementAndGet();
        keep(call + " → no answer: " + cause);
    }

    private void keep(String problem) {
        if (problems.size() < KEPT_PROBLEMS) {
            problems.add(problem);
        }
    }

    private static String abbreviated(String body) {
        String oneLine = body == null ? "" : body.replaceAll("\\s+", " ");
        return oneLine.length() > 300 ? oneLine.substring(0, 300) + "…" : oneLine;
    }

    long calls() {
        return calls.get();
    }

    long successes() {
        return successes.get();
    }

    long rateLimited() {
        return rateLimited.get();
    }

    long clientErrors() {
        return clientErrors.get();
    }

    long serverErrors() {
        return serverErrors.get();
    }

    long noAnswers() {
        return noAnswers.get();
    }

    List<String> problems() {
        return List.copyOf(problems);
    }
}
