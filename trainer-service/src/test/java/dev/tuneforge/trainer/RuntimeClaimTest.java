package dev.tuneforge.trainer;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.events.TrainingFailed;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import dev.tuneforge.trainer.domain.JobIntake;
import dev.tuneforge.trainer.domain.JobState;
import dev.tuneforge.trainer.domain.JobTransitions;
import dev.tuneforge.trainer.domain.JobTransitions.Claim;
import dev.tuneforge.trainer.storage.Jobs;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.WorkerExit;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A job asks for its runtime and only slots of that runtime run it, driven by hand (the scheduler's loop is off): a
 * torch job is never claimed by a djl slot and is by a torch one; a request without a runtime takes the default
 * ({@code djl}); every retry, after a crash or a lost lease, stays on the job's runtime, because a checkpoint resumes
 * only on the runtime that wrote it; the finished job says which runtime produced its artifact; an unknown runtime
 * fails the job, naming the field.
 */
@QuarkusTest
@TestProfile(LeaseAndQueueTest.NoSchedulerLoop.class)
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "trainer"))
class RuntimeClaimTest {

    @Inject
    Jobs jobs;
    @Inject
    JobIntake intake;
    @Inject
    JobTransitions transitions;
    @Inject
    Jdbc jdbc;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @BeforeEach
    void emptyQueue() {
        jdbc.update("UPDATE jobs SET state = 'cancelled' WHERE state IN ('queued', 'running', 'validating')");
    }

    /** A job as the intake records it, then queued as validation would leave it. */
    private String queued(String runtime) {
        String jobId = TrainingFixture.newId("job_");
        intake.requested(new TrainingRequested(TrainingFixture.PROJECT, jobId, "m", "ds", 1, "lora", Map.of(), "bot",
                "test", null, null, runtime));
        jobs.queued(jobId, Map.of(), 10);
        return jobId;
    }

    private Optional<Claim> claim(String slot, String runtime) {
        return transitions.claimNext("owner-" + slot, slot, runtime, "host");
    }

    @Test
    void aTorchJobIsClaimedByATorchSlotAndNeverByADjlOne() {
        String torch = queued("torch");
        String unsaid = queued(null);

        assertEquals("torch", jobs.find(torch).orElseThrow().runtime());
        assertEquals("djl", jobs.find(unsaid).orElseThrow().runtime(), "no runtime asked: the default");

        Claim onDjl = claim("cpu-0", "djl").orElseThrow();
        assertEquals(unsaid, onDjl.job().jobId());
        assertTrue(claim("cpu-0", "djl").isEmpty(), "the torch job waits for a torch slot");
        assertEquals(Optional.of(JobState.QUEUED), jobs.state(torch));

        Claim onTorch = claim("cpu-1", "torch").orElseThrow();
        assertEquals(torch, onTorch.job().jobId());
        assertEquals("cpu-1", jobs.find(torch).orElseThrow().slot());
    }

    @Test
    void everyRetryStaysOnTheJobsRuntimeAndTheArtifactSaysWhichProducedIt() {
        String jobId = queued("torch");
        Claim first = claim("cpu-1", "torch").orElseThrow();
        transitions.checkpoint(first.job(), 1, "owner-cpu-1", 4, "projects/p/jobs/j/checkpoints/step-4/", "sha4");

        // a crash: back to the queue, to resume from step 4 — on torch only
        transitions.attemptEnded(first.job(), 1, "owner-cpu-1", WorkerExit.of(ExitCode.KILLED), null, null, false);
        assertEquals(Optional.of(JobState.QUEUED), jobs.state(jobId));
        assertTrue(claim("cpu-0", "djl").isEmpty(), "a torch checkpoint is not resumed on djl");
        Claim second = claim("cpu-2", "torch").orElseThrow();
        assertEquals(2, second.attempt());
        assertEquals(4L, second.resumedFrom());

        // the instance dies (its lease runs out): taken over by another torch slot, never a djl one
        jdbc.update("UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE job_id = ?", jobId);
        assertTrue(claim("cpu-0", "djl").isEmpty(), "a running torch job whose lease expired is not taken by djl");
        Claim third = claim("cpu-1", "torch").orElseThrow();
        assertEquals(3, third.attempt());
        assertEquals("torch", jobs.find(jobId).orElseThrow().runtime());

        assertTrue(transitions.finished(third.job(), 3, "owner-cpu-1", "projects/p/jobs/j/output/adapter/", "sha", 10,
                Map.of()));
        TopicClient topics = new TopicClient(bootstrap);
        await().atMost(Duration.ofMinutes(1)).until(() -> !topics.events(TrainingFinished.class, jobId).isEmpty());
        assertEquals("torch", topics.events(TrainingFinished.class, jobId).getFirst().runtime());
    }

    @Test
    void anUnknownRuntimeFailsTheJobNamingTheField() {
        String jobId = TrainingFixture.newId("job_");
        jobs.insert(new TrainingRequested(TrainingFixture.PROJECT, jobId, "m", "ds", 1, "lora", Map.of(), "bot", "test",
                null, null, "tpu"), JobState.VALIDATING, "tpu");

        transitions.validate(jobId);

        assertEquals(Optional.of(JobState.FAILED), jobs.state(jobId));
        TopicClient topics = new TopicClient(bootstrap);
        await().atMost(Duration.ofMinutes(1)).until(() -> !topics.events(TrainingFailed.class, jobId).isEmpty());
        TrainingFailed failed = topics.events(TrainingFailed.class, jobId).getFirst();
        assertEquals("invalid_request", failed.code());
        assertEquals("runtime: must be one of [djl, torch], got 'tpu'", failed.message());
    }

    @Test
    void aMethodOnlyTheTorchRuntimeHasFailsOnDjlAndOnTheDefaultRuntimeNamingBoth() {
        String asked = TrainingFixture.newId("job_");
        intake.requested(new TrainingRequested(TrainingFixture.PROJECT, asked, "m", "ds", 1, "qlora", Map.of(), "bot",
                "test", null, null, "djl"));
        String unsaid = TrainingFixture.newId("job_");
        intake.requested(new TrainingRequested(TrainingFixture.PROJECT, unsaid, "m", "ds", 1, "prefix_tuning", Map.of(),
                "bot", "test", null, null, null));

        transitions.validate(asked);
        transitions.validate(unsaid);

        TopicClient topics = new TopicClient(bootstrap);
        await().atMost(Duration.ofMinutes(1)).until(() -> !topics.events(TrainingFailed.class, asked).isEmpty()
                && !topics.events(TrainingFailed.class, unsaid).isEmpty());
        TrainingFailed onDjl = topics.events(TrainingFailed.class, asked).getFirst();
        assertEquals("invalid_request", onDjl.code());
        assertEquals("runtime: method qlora runs only on the torch runtime, got 'djl'", onDjl.message());
        assertEquals("runtime: method prefix_tuning runs only on the torch runtime, got 'djl'",
                topics.events(TrainingFailed.class, unsaid).getFirst().message(), "the default runtime, djl");
        assertEquals(Optional.of(JobState.FAILED), jobs.state(unsaid));
    }
}
