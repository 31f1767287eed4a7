package dev.tuneforge.gateway.events;

import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.DatasetRejected;
import dev.tuneforge.gateway.storage.DatasetReadModel;
import dev.tuneforge.kit.messaging.InboxProcessor;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/** Projects dataset events into the gateway's read model, once per event (inbox). */
@ApplicationScoped
public class ReadModelProjector {

    public static final String CHANNEL = "datasets-in";

    private final InboxProcessor inbox;
    private final DatasetReadModel datasets;

    public ReadModelProjector(InboxProcessor inbox, DatasetReadModel datasets) {
        this.inbox = inbox;
        this.datasets = datasets;
    }

    @Incoming(CHANNEL)
    @Blocking
    public void consume(ConsumerRecord<String, String> record) {
        inbox.process(CHANNEL, record, envelope -> {
            switch (envelope.data()) {
                case DatasetReady ready -> datasets.ready(ready);
                case DatasetRejected rejected -> datasets.rejected(rejected);
                default -> {
                    // our own DatasetUploaded: already in the read model
                }
            }
        });
    }
}
