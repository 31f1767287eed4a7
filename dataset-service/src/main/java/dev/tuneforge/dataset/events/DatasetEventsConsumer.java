package dev.tuneforge.dataset.events;

import dev.tuneforge.dataset.domain.UploadIngestor;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.kit.messaging.InboxProcessor;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/** {@code tuneforge.datasets} → the domain. Other dataset events (our own output) are ignored. */
@ApplicationScoped
public class DatasetEventsConsumer {

    public static final String CHANNEL = "datasets-in";

    private final InboxProcessor inbox;
    private final UploadIngestor ingestor;

    public DatasetEventsConsumer(InboxProcessor inbox, UploadIngestor ingestor) {
        this.inbox = inbox;
        this.ingestor = ingestor;
    }

    @Incoming(CHANNEL)
    @Blocking
    public void consume(ConsumerRecord<String, String> record) {
        inbox.process(CHANNEL, record, envelope -> {
            if (envelope.data() instanceof DatasetUploaded uploaded) {
                ingestor.ingest(uploaded);
            }
        });
    }
}
