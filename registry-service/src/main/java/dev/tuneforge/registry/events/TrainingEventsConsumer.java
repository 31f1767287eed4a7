package dev.tuneforge.registry.events;

import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.kit.messaging.InboxProcessor;
import dev.tuneforge.registry.domain.Cause;
import dev.tuneforge.registry.domain.Registrar;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/** {@code tuneforge.training} → the registry: what each job produced (its artifact and lineage). */
@ApplicationScoped
public class TrainingEventsConsumer {

    public static final String CHANNEL = "training-in";

    private final InboxProcessor inbox;
    private final Registrar registrar;

    public TrainingEventsConsumer(InboxProcessor inbox, Registrar registrar) {
        this.inbox = inbox;
        this.registrar = registrar;
    }

    @Incoming(CHANNEL)
    @Blocking
    public void consume(ConsumerRecord<String, String> record) {
        inbox.process(CHANNEL, record, envelope -> {
            if (envelope.data() instanceof TrainingFinished finished) {
                registrar.trainingFinished(finished, envelope.time().toInstant(),
                        new Cause(envelope.id(), envelope.source()));
            }
        });
    }
}
