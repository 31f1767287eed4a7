package dev.tuneforge.registry.events;

import dev.tuneforge.events.ModelArchiveRequested;
import dev.tuneforge.events.PromotionRequested;
import dev.tuneforge.events.RollbackRequested;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.kit.messaging.InboxProcessor;
import dev.tuneforge.registry.domain.Cause;
import dev.tuneforge.registry.domain.Promotions;
import dev.tuneforge.registry.storage.Lineage;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * {@code tuneforge.commands} → the registry: promotions and rollbacks, and each job's request (hyperparameters
 * and who asked, for the model card).
 */
@ApplicationScoped
public class CommandsConsumer {

    public static final String CHANNEL = "commands-in";

    private final InboxProcessor inbox;
    private final Promotions promotions;
    private final Lineage lineage;

    public CommandsConsumer(InboxProcessor inbox, Promotions promotions, Lineage lineage) {
        this.inbox = inbox;
        this.promotions = promotions;
        this.lineage = lineage;
    }

    @Incoming(CHANNEL)
    @Blocking
    public void consume(ConsumerRecord<String, String> record) {
        inbox.process(CHANNEL, record, envelope -> {
            switch (envelope.data()) {
                case PromotionRequested promote -> promotions.promotionRequested(promote,
                        new Cause(envelope.id(), actor(promote.requestedBy(), envelope.source())));
                case RollbackRequested rollback -> promotions.rollbackRequested(rollback,
                        new Cause(envelope.id(), actor(rollback.requestedBy(), envelope.source())));
                case ModelArchiveRequested archive -> promotions.archiveRequested(archive,
                        new Cause(envelope.id(), actor(archive.requestedBy(), envelope.source())));
                case TrainingRequested requested -> lineage.jobRequested(requested, envelope.time().toInstant());
                default -> {
                }
            }
        });
    }

    private static String actor(String requestedBy, String source) {
        return requestedBy != null ? requestedBy : source;
    }
}
