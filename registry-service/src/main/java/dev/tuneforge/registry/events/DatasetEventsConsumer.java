package dev.tuneforge.registry.events;

import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.DatasetRejected;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.kit.messaging.InboxProcessor;
import dev.tuneforge.registry.storage.Lineage;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/** {@code tuneforge.datasets} → lineage: uploads and the dataset versions they became. */
@ApplicationScoped
public class DatasetEventsConsumer {

    public static final String CHANNEL = "datasets-in";

    private final InboxProcessor inbox;
    private final Lineage lineage;

    public DatasetEventsConsumer(InboxProcessor inbox, Lineage lineage) {
        this.inbox = inbox;
        this.lineage = lineage;
    }

    @Incoming(CHANNEL)
    @Blocking
    public void consume(ConsumerRecord<String, String> record) {
        inbox.process(CHANNEL, record, envelope -> {
            switch (envelope.data()) {
                case DatasetUploaded uploaded -> lineage.uploaded(uploaded, envelope.time().toInstant());
                case DatasetReady ready -> lineage.ready(ready, envelope.time().toInstant());
                case DatasetRejected rejected -> lineage.rejected(rejected.datasetId());
                default -> {
                }
            }
        });
    }
}
