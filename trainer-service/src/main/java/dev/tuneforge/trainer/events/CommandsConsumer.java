package dev.tuneforge.trainer.events;

import dev.tuneforge.events.TrainingCancelRequested;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.kit.messaging.InboxProcessor;
import dev.tuneforge.trainer.domain.JobIntake;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/** {@code tuneforge.commands} → job intake. Commands for other services are ignored. */
@ApplicationScoped
public class CommandsConsumer {

    public static final String CHANNEL = "commands-in";

    private final InboxProcessor inbox;
    private final JobIntake intake;

    public CommandsConsumer(InboxProcessor inbox, JobIntake intake) {
        this.inbox = inbox;
        this.intake = intake;
    }

    @Incoming(CHANNEL)
    @Blocking
    public void consume(ConsumerRecord<String, String> record) {
        inbox.process(CHANNEL, record, envelope -> {
            switch (envelope.data()) {
                case TrainingRequested request -> intake.requested(request);
                case TrainingCancelRequested cancel -> intake.cancelRequested(cancel);
                default -> {
                }
            }
        });
    }
}
