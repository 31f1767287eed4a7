package dev.tuneforge.trainer.events;

import dev.tuneforge.events.DriftDetected;
import dev.tuneforge.kit.messaging.InboxProcessor;
import dev.tuneforge.trainer.pipelines.DriftTriggers;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * {@code tuneforge.monitoring}: a {@code DriftDetected} may start pipelines' on_drift actions. The other monitoring
 * events (observations received, drift measured) are not the trainer's.
 */
@ApplicationScoped
public class MonitoringConsumer {

    public static final String CHANNEL = "monitoring-in";

    private final InboxProcessor inbox;
    private final DriftTriggers drift;

    public MonitoringConsumer(InboxProcessor inbox, DriftTriggers drift) {
        this.inbox = inbox;
        this.drift = drift;
    }

    @Incoming(CHANNEL)
    @Blocking
    public void consume(ConsumerRecord<String, String> record) {
        inbox.process(CHANNEL, record, envelope -> {
            if (envelope.data() instanceof DriftDetected detected) {
                drift.detected(envelope.id(), detected);
            }
        });
    }
}
