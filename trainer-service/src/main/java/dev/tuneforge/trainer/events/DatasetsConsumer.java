package dev.tuneforge.trainer.events;

import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.kit.messaging.InboxProcessor;
import dev.tuneforge.trainer.domain.Scheduler;
import dev.tuneforge.trainer.pipelines.PipelineTriggers;
import dev.tuneforge.trainer.storage.DatasetVersions;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * {@code tuneforge.datasets}: ready versions become trainable (a job waiting for one is validated without waiting
 * for the scheduler's tick), and may trigger a pipeline.
 */
@ApplicationScoped
public class DatasetsConsumer {

    public static final String CHANNEL = "datasets-in";

    private final InboxProcessor inbox;
    private final DatasetVersions versions;
    private final PipelineTriggers pipelines;
    private final Scheduler scheduler;

    public DatasetsConsumer(InboxProcessor inbox, DatasetVersions versions, PipelineTriggers pipelines,
                            Scheduler scheduler) {
        this.inbox = inbox;
        this.versions = versions;
        this.pipelines = pipelines;
        this.scheduler = scheduler;
    }

    @Incoming(CHANNEL)
    @Blocking
    public void consume(ConsumerRecord<String, String> record) {
        inbox.process(CHANNEL, record, envelope -> {
            if (envelope.data() instanceof DatasetReady ready) {
                versions.ready(ready);
                pipelines.datasetReady(ready);
                scheduler.wakeAfterCommit();
            }
        });
    }
}
