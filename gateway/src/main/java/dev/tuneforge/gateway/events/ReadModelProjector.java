package dev.tuneforge.gateway.events;

import dev.tuneforge.gateway.domain.Projection;
import dev.tuneforge.gateway.storage.ReadModelTables;
import dev.tuneforge.kit.messaging.InboxProcessor;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Projects every public event into the gateway's read model, once per event (inbox). One channel per
 * topic of {@code Topics.MAIN}, each consumed in partition order, so one aggregate's events are
 * applied in the order they were published.
 */
@ApplicationScoped
public class ReadModelProjector {

    public static final String DATASETS = "datasets-in";
    public static final String TRAINING = "training-in";
    public static final String EVAL = "eval-in";
    public static final String REGISTRY = "registry-in";
    public static final String MONITORING = "monitoring-in";
    public static final String COMMANDS = "commands-in";

    private final InboxProcessor inbox;
    private final Projection projection;

    public ReadModelProjector(InboxProcessor inbox, Projection projection) {
        this.inbox = inbox;
        this.projection = projection;
    }

    @Incoming(DATASETS)
    @Blocking
    public void datasets(ConsumerRecord<String, String> record) {
        project(DATASETS, record);
    }

    @Incoming(TRAINING)
    @Blocking
    public void training(ConsumerRecord<String, String> record) {
        project(TRAINING, record);
    }

    @Incoming(EVAL)
    @Blocking
    public void eval(ConsumerRecord<String, String> record) {
        project(EVAL, record);
    }

    @Incoming(REGISTRY)
    @Blocking
    public void registry(ConsumerRecord<String, String> record) {
        project(REGISTRY, record);
    }

    @Incoming(MONITORING)
    @Blocking
    public void monitoring(ConsumerRecord<String, String> record) {
        project(MONITORING, record);
    }

    @Incoming(COMMANDS)
    @Blocking
    public void commands(ConsumerRecord<String, String> record) {
        project(COMMANDS, record);
    }

    private void project(String channel, ConsumerRecord<String, String> record) {
        inbox.process(channel, record,
                envelope -> projection.apply(ReadModelTables.LIVE, envelope, record.topic(), record.value()));
    }
}
