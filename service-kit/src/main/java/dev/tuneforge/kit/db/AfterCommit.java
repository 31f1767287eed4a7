package dev.tuneforge.kit.db;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;

/**
 * Work that must happen only if the current transaction commits, such as deleting an object whose
 * removal is part of the transaction's outcome: if the transaction rolls back and the event is
 * retried, the object is still there. The action runs on the committing thread once the commit is done, outside the
 * transaction; it must be quick (hand longer work to another thread).
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
