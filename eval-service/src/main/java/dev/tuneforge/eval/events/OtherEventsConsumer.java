package dev.tuneforge.eval.events;

import dev.tuneforge.eval.drift.DriftWindows;
import dev.tuneforge.eval.storage.EvalCatalog;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.ModelPromoted;
import dev.tuneforge.events.ModelRegistered;
import dev.tuneforge.events.ObservationsReceived;
import dev.tuneforge.events.PipelineConfigured;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.kit.messaging.InboxProcessor;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * What an evaluation needs to know from elsewhere: held-out splits ({@code tuneforge.datasets}), model
 * versions and champions ({@code tuneforge.registry}), pipelines' gates and jobs' requests ({@code tuneforge.commands});
 * and the served traffic drift monitoring measures ({@code tuneforge.monitoring}).
 */
@ApplicationScoped
public class OtherEventsConsumer {

    private final InboxProcessor inbox;
    private final EvalCatalog catalog;
    private final DriftWindows drift;

    public OtherEventsConsumer(InboxProcessor inbox, EvalCatalog catalog, DriftWindows drift) {
        this.inbox = inbox;
        this.catalog = catalog;
        this.drift = drift;
    }

    @Incoming("monitoring-in")
    @Blocking
    public void monitoring(ConsumerRecord<String, String> record) {
        inbox.process("monitoring-in", record, envelope -> {
            if (envelope.data() instanceof ObservationsReceived received) {
                drift.observationsReceived(received);
            }
        });
    }

    @Incoming("datasets-in")
    @Blocking
    public void datasets(ConsumerRecord<String, String> record) {
        inbox.process("datasets-in", record, envelope -> {
            if (envelope.data() instanceof DatasetReady ready) {
                catalog.datasetReady(ready);
            }
        });
    }

    @Incoming("registry-in")
    @Blocking
    public void registry(ConsumerRecord<String, String> record) {
        inbox.process("registry-in", record, envelope -> {
            switch (envelope.data()) {
                case ModelRegistered registered -> catalog.modelRegistered(registered);
                case ModelPromoted promoted -> catalog.modelPromoted(promoted);
                default -> {
                }
            }
        });
    }

    @Incoming("commands-in")
    @Blocking
    public void commands(ConsumerRecord<String, String> record) {
        inbox.process("commands-in", record, envelope -> {
            switch (envelope.data()) {
                case PipelineConfigured pipeline -> {
                    catalog.pipelineConfigured(pipeline);
                    drift.pipelineConfigured(pipeline);
                }
                case TrainingRequested requested -> catalog.jobRequested(requested);
                default -> {
                }
            }
        });
    }
}
