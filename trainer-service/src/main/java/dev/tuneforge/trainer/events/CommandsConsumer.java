package dev.tuneforge.trainer.events;

import dev.tuneforge.events.PipelineConfigured;
import dev.tuneforge.events.SweepRequested;
import dev.tuneforge.events.TrainingCancelRequested;
import dev.tuneforge.events.TrainingPauseRequested;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.events.TrainingResumeRequested;
import dev.tuneforge.kit.messaging.InboxProcessor;
import dev.tuneforge.trainer.domain.JobIntake;
import dev.tuneforge.trainer.pipelines.PipelineTriggers;
import dev.tuneforge.trainer.sweeps.Sweeps;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/** {@code tuneforge.commands} → job intake, pipeline configuration and sweeps. Commands for other services are ignored. */
@ApplicationScoped
public class CommandsConsumer {

    public static final String CHANNEL = "commands-in";

    private final InboxProcessor inbox;
    private final JobIntake intake;
    private final PipelineTriggers pipelines;
    private final Sweeps sweeps;

    public CommandsConsumer(InboxProcessor inbox, JobIntake intake, PipelineTriggers pipelines, Sweeps sweeps) {
        this.inbox = inbox;
        this.intake = intake;
        this.pipelines = pipelines;
        this.sweeps = sweeps;
    }

    @Incoming(CHANNEL)
    @Blocking
    public void consume(ConsumerRecord<String, String> record) {
        inbox.process(CHANNEL, record, envelope -> {
            switch (envelope.data()) {
                case TrainingRequested request -> intake.requested(request);
                case TrainingCancelRequested cancel -> intake.cancelRequested(cancel);
                case TrainingPauseRequested pause -> intake.pauseRequested(pause);
                case TrainingResumeRequested resume -> intake.resumeRequested(resume);
                case PipelineConfigured pipeline -> pipelines.configured(pipeline);
                case SweepRequested sweep -> sweeps.requested(sweep);
                default -> {
                }
            }
        });
    }
}
