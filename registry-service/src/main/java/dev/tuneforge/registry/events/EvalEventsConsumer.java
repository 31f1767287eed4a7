package dev.tuneforge.registry.events;

import dev.tuneforge.events.EvalFailed;
import dev.tuneforge.events.EvalPassed;
import dev.tuneforge.kit.messaging.InboxProcessor;
import dev.tuneforge.registry.domain.Cause;
import dev.tuneforge.registry.domain.Registrar;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/** {@code tuneforge.eval} → the registry: verdicts become versions. */
@ApplicationScoped
public class EvalEventsConsumer {

    public static final String CHANNEL = "eval-in";

    private final InboxProcessor inbox;
    private final Registrar registrar;

    public EvalEventsConsumer(InboxProcessor inbox, Registrar registrar) {
        this.inbox = inbox;
        this.registrar = registrar;
    }

    @Incoming(CHANNEL)
    @Blocking
    public void consume(ConsumerRecord<String, String> record) {
        inbox.process(CHANNEL, record, envelope -> {
            Cause cause = new Cause(envelope.id(), envelope.source());
            switch (envelope.data()) {
                case EvalPassed passed -> registrar.passed(passed, cause);
                case EvalFailed failed -> registrar.failed(failed, cause);
                default -> {
                }
            }
        });
    }
}
