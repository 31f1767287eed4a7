package dev.tuneforge.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.events.TrainingProgress;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.platform.test.TuneforgeStack;
import dev.tuneforge.trainer.domain.JobState;
import dev.tuneforge.trainer.domain.JobTransitions;
import dev.tuneforge.trainer.domain.JobTransitions.Claim;
import dev.tuneforge.trainer.storage.Jobs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The queue and the leases, driven by hand (the scheduler's loop is off): priorities first, then the
 * project with fewer running jobs; a running job is never claimed twice while its lease is alive, and an
 * instance that lost its lease can no longer change the job.
 */
@QuarkusTest
@TestProfile(LeaseAndQueueTest.NoSchedulerLoop.class)
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "trainer"))
class LeaseAndQueueTest {

    public static class NoSchedulerLoop implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tuneforge.trainer.tick", "off");
        }
    }

    @Inject
    Jobs jobs;
    @Inject
    JobTransitions transitions;
    @Inject
    Jdbc jdbc;

    @BeforeEach
    void emptyQueue() {
        jdbc.update("UPDATE jobs SET state = 'cancelled' WHERE state IN ('queued', 'running', 'validating')");
    }

    private String queued(String project, int priority) {
        String jobId = TrainingFixture.newId("job_");
        jobs.insert(new TrainingRequested(project, jobId, "m", "ds", 1, "lora", Map.of(), "bot", "test", null, priority),
                JobState.QUEUED, "djl");
        return jobId;
    }

    private Optional<Claim> claim(String owner) {
        return transitions.claimNext(owner, "cpu-0", "djl", "host-" + owner);
    }

    @Test
    void higherPriorityFirstThenTheProjectWithFewerRunningJobs() throws Exception {
        String low = queued("prj_a", 0);
        Thread.sleep(5);
        String high = queued("prj_a", 5);
        assertEquals(high, claim("one").orElseThrow().job().jobId(), "priority beats age");
        assertEquals(low, claim("one").orElseThrow().job().jobId());

        // prj_a now runs two jobs; prj_b none: prj_b's newer job goes first.
        String aOld = queued("prj_a", 0);
        Thread.sleep(5);
        String bNew = queued("prj_b", 0);
        assertEquals(bNew, claim("two").orElseThrow().job().jobId(), "fair share across projects");
        assertEquals(aOld, claim("two").orElseThrow().job().jobId());
        assertTrue(claim("two").isEmpty());
    }

    @Test
    void aLiveLeaseIsNeverTakenAndALostOneCannotFinishTheJob() {
        String jobId = queued("prj_c", 0);
        Claim first = claim("a").orElseThrow();
        assertEquals(1, first.attempt());
        assertTrue(claim("b").isEmpty(), "running under a live lease");

        jdbc.update("UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE job_id = ?", jobId);
        Claim second = claim("b").orElseThrow();
        assertEquals(jobId, second.job().jobId());
        assertEquals(2, second.attempt());
        assertEquals("trainer instance a stopped renewing its lease", second.retryReason());

        assertFalse(transitions.progress("a", new TrainingProgress("prj_c", jobId, 3, 10, 0.3, 1.0, 1e-4, 10.0, 5L,
                null, null, 1)), "the old owner's events are refused");
        assertFalse(transitions.finished(first.job(), 1, "a", "k", "sha", 3, Map.of()));
        assertTrue(transitions.finished(second.job(), 2, "b", "k", "sha", 10, Map.of()));
        assertEquals(Optional.of(JobState.SUCCEEDED), jobs.state(jobId));
        assertFalse(transitions.finished(second.job(), 2, "b", "k", "sha", 10, Map.of()), "finishing twice does nothing");
    }
}
