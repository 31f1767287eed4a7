package dev.tuneforge.trainer;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.EventType;
import dev.tuneforge.events.SweepFinished;
import dev.tuneforge.events.SweepRequested;
import dev.tuneforge.events.Topics;
import dev.tuneforge.events.TrainingCancelled;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingProgress;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * A hyperparameter sweep from {@code SweepRequested} to {@code SweepFinished} with the real djl worker and the tiny
 * model: every trial is an ordinary job requested by the sweep, a trial whose learning rate barely moves it is stopped
 * early by the median rule, and the sweep names the trial with the lowest validation loss. Same app as
 * {@link TrainingRunTest} (same test resource, no profile): no extra Quarkus start.
 */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "trainer"))
class SweepRunTest {

    private static final Duration WAIT = Duration.ofMinutes(4);

    @Inject
    DirectorySync sync;
    @Inject
    ObjectStore store;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void aSweepOfFourTrialsStopsTheHopelessOneEarlyAndNamesTheBest() throws Exception {
        TopicClient topics = new TopicClient(bootstrap);
        TrainingFixture.baseModel(sync, store);
        String ds = TrainingFixture.newId("ds_");
        TrainingFixture.datasetWithValidation(store, topics, ds, 40, 8);
        String sweepId = TrainingFixture.newId("swp_");
        // 1e-7 barely moves the adapter: its validation loss stays where it starts, above the others'
        List<Double> learningRates = List.of(0.01, 0.005, 0.003, 1e-7);
        topics.publish(new SweepRequested(TrainingFixture.PROJECT, sweepId, TrainingFixture.BASE_MODEL, ds, 1, "lora",
                Map.of("max_steps", 200, "batch_size", 4, "eval_steps", 10, "save_steps", 1000, "lora_r", 4),
                Map.of("learning_rate", learningRates), "grid", null, 2, null, new SweepRequested.MedianStop(1, 1),
                "bot", "test", null, null), "gateway");

        await().atMost(WAIT).until(() -> !topics.events(SweepFinished.class, sweepId).isEmpty());
        SweepFinished finished = topics.events(SweepFinished.class, sweepId).getFirst();

        assertEquals("succeeded", finished.status());
        assertEquals(4, finished.trials().size(), finished.toString());
        List<TrainingRequested> requests = topics.readAll(Topics.COMMANDS).stream()
                .filter(r -> EventType.TRAINING_REQUESTED.typeName().equals(TopicClient.header(r, "ce_type")))
                .map(r -> (TrainingRequested) EventCodec.read(EventType.TRAINING_REQUESTED, r.value()))
                .filter(r -> sweepId.equals(r.sweepId())).toList();
        assertEquals(4, requests.size(), "each trial is an ordinary job, requested once");
        for (SweepFinished.Trial trial : finished.trials()) {
            TrainingRequested request = requests.stream().filter(r -> r.jobId().equals(trial.jobId())).findFirst()
                    .orElseThrow();
            assertEquals(trial.index(), request.sweepTrial());
            assertEquals(learningRates.get(trial.index()), request.hyperparameters().get("learning_rate"));
            assertEquals(Map.of("learning_rate", learningRates.get(trial.index())), trial.parameters());
            assertNotNull(trial.bestValidLoss(), trial.toString());
        }

        SweepFinished.Trial hopeless = finished.trials().get(3);
        assertEquals("stopped_early", hopeless.state(), finished.trials().toString());
        assertTrue(hopeless.reason().startsWith("stopped early by the median rule: best validation loss"),
                hopeless.reason());
        TrainingCancelled cancelled = topics.events(TrainingCancelled.class, hopeless.jobId()).getFirst();
        assertEquals(Boolean.TRUE, cancelled.stoppedEarly());
        assertEquals(hopeless.reason(), cancelled.reason());
        assertTrue(topics.events(TrainingFinished.class, hopeless.jobId()).isEmpty());
        long lastStep = topics.events(TrainingProgress.class, hopeless.jobId()).stream()
                .mapToLong(TrainingProgress::step).max().orElseThrow();
        assertTrue(lastStep < 200, "stopped at step " + lastStep + ", before its last");

        SweepFinished.Trial best = finished.trials().stream().filter(t -> t.state().equals("succeeded"))
                .min(Comparator.comparing(SweepFinished.Trial::bestValidLoss)).orElseThrow();
        assertEquals(best.jobId(), finished.bestJobId());
        TrainingFinished candidate = finished.best();
        assertEquals(topics.events(TrainingFinished.class, best.jobId()).getFirst(), candidate);
        assertEquals(sweepId, candidate.sweepId());
        assertTrue(store.exists(candidate.artifactKey() + "adapter_model.safetensors"));
        double lowest = topics.events(TrainingProgress.class, best.jobId()).stream()
                .filter(p -> p.validLoss() != null).mapToDouble(TrainingProgress::validLoss).min().orElseThrow();
        assertEquals(lowest, best.bestValidLoss(), 1e-12);
    }

    @Test
    void aSweepWhoseTrialsAllFailEndsFailedWithEachTrialsReasonAndAMisshapenOneAtOnce() throws Exception {
        TopicClient topics = new TopicClient(bootstrap);
        TrainingFixture.baseModel(sync, store);
        String ds = TrainingFixture.newId("ds_");
        TrainingFixture.datasetWithValidation(store, topics, ds, 8, 2);
        // r above the tiny model's hidden size (32): each trial is refused when its job is validated, no worker runs
        String hopeless = TrainingFixture.newId("swp_");
        topics.publish(new SweepRequested(TrainingFixture.PROJECT, hopeless, TrainingFixture.BASE_MODEL, ds, 1, "lora",
                Map.of("max_steps", 2), Map.of("lora_r", List.of(64, 128)), "grid", null, 1, null, null, "bot", "test",
                null, null), "gateway");
        String misshapen = TrainingFixture.newId("swp_");
        topics.publish(new SweepRequested(TrainingFixture.PROJECT, misshapen, TrainingFixture.BASE_MODEL, ds, 1, "lora",
                Map.of(), Map.of("lora_r", Map.of("min", 4, "max", 8)), "grid", null, 1, null, null, "bot", "test",
                null, null), "gateway");

        await().atMost(WAIT).until(() -> !topics.events(SweepFinished.class, hopeless).isEmpty()
                && !topics.events(SweepFinished.class, misshapen).isEmpty());
        SweepFinished failed = topics.events(SweepFinished.class, hopeless).getFirst();
        assertEquals("failed", failed.status());
        assertEquals("no trial succeeded", failed.reason());
        assertEquals(null, failed.best());
        assertEquals(List.of("failed", "failed"), failed.trials().stream().map(SweepFinished.Trial::state).toList());
        for (SweepFinished.Trial trial : failed.trials()) {
            assertTrue(trial.reason().contains("hyperparameters.lora_r: must be <= the base model's hidden size 32"),
                    trial.reason());
        }
        SweepFinished refused = topics.events(SweepFinished.class, misshapen).getFirst();
        assertEquals("failed", refused.status());
        assertEquals("search_space.lora_r: a range {min, max} needs strategy random; grid takes a list of values",
                refused.reason());
        assertEquals(List.of(), refused.trials());
    }
}
