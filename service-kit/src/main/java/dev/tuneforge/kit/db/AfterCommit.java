package dev.tuneforge.kit.db;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;

/**
 * Work that must happen only if the current transaction commits, such as deleting an object whose
 * removal is part of the transaction's outcome: if the transaction rolls back and the event is
 * retried, the object is still there.
 */
@ApplicationScoped
public class AfterCommit {

    private final TransactionSynchronizationRegistry registry;

    public AfterCommit(TransactionSynchronizationRegistry registry) {
        this.registry = registry;
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
