package dev.tuneforge.eval.run;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Steps that are tried again and again while they fail (a step of the scheduling tick, renewing leases, an evaluation
 * waiting for S3, closing a drift window). Each is logged when it starts failing or fails another way, and once when it works again, not at
 * every try, so a fault that lasts an hour does not fill the log.
 */
public final class FailingSteps {

    private final Logger log;
    /** Step to how it last failed. */
    private final Map<String, String> failing = new ConcurrentHashMap<>();

    public FailingSteps(Logger log) {
        this.log = log;
    }

    /** Runs {@code body}; if it throws, logs why and returns, so whatever comes after it still runs. */
    public void isolated(String step, Runnable body) {
        try {
            body.run();
        } catch (RuntimeException e) {
            failed(step, e);
            return;
        }
        worked(step);
    }

    void failed(String step, Exception e) {
        String why = String.valueOf(e.getMessage());
        if (!why.equals(failing.put(step, why))) {
            log.warnf(e, "%s failed, will try again: %s", step, why);
        }
    }

    void worked(String step) {
        if (failing.remove(step) != null) {
            log.infof("%s works again", step);
        }
    }

    boolean isFailing(String step) {
        return failing.containsKey(step);
    }
}
