package dev.tuneforge.kit.db;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;

/**
 * Work that should happen only if the current transaction commits, such as waking the thread that sends what the
 * transaction recorded (the outbox relay, dataset-service's pending deletes). The action runs on the committing thread
 * once the commit is done, outside the transaction, and nothing repeats it if it fails or the process dies first: work
 * that must surely happen (deleting an object, publishing an event) is recorded in the transaction and done by a
 * sweeper that retries, with this only as its wake-up. The action must be quick (hand longer work to another thread).
 */
@ApplicationScoped
public class AfterCommit {

    private final TransactionSynchronizationRegistry registry;

    public AfterCommit(TransactionSynchronizationRegistry registry) {
        this.registry = registry;
    }

    /**
     * Runs {@code action} once after the current transaction commits, however often it is asked for under the same
     * {@code key} in that transaction (a wake-up for each event a transaction writes would be one too many).
     */
    public void once(Object key, Runnable action) {
        if (registry.getResource(key) == null) {
            registry.putResource(key, Boolean.TRUE);
            run(action);
        }
    }

    public void run(Runnable action) {
        registry.registerInterposedSynchronization(new Synchronization() {
            @Override
            public void beforeCompletion() {
            }

            @Override
            public void afterCompletion(int status) {
                if (status == Status.STATUS_COMMITTED) {
                    action.run();
                }
            }
        });
    }
}
