package dev.tuneforge.eval.events;

import dev.tuneforge.eval.domain.EvalScheduler;
import dev.tuneforge.events.SweepFinished;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.kit.messaging.InboxProcessor;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/** {@code tuneforge.training} → evaluations (a finished job, a finished sweep's best trial). Progress and other job events are ignored here. */
@ApplicationScoped
public class TrainingEventsConsumer {

    public static final String CHANNEL = "training-in";

    private final InboxProcessor inbox;
    private final EvalScheduler scheduler;

    public TrainingEventsConsumer(InboxProcessor inbox, EvalScheduler scheduler) {
        this.inbox = inbox;
        this.scheduler = scheduler;
    }

    @Incoming(CHANNEL)
    @Blocking
    public void consume(ConsumerRecord<String, String> record) {
        inbox.process(CHANNEL, record, envelope -> {
            switch (envelope.data()) {
                case TrainingFinished finished -> scheduler.trainingFinished(finished);
                case SweepFinished sweep -> scheduler.sweepFinished(sweep);
                default -> {
                }
            }
        });
    }
}
