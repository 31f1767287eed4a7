package dev.tuneforge.worker.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.worker.TrainRun;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.WorkerEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run stopped after k steps and resumed ends with exactly the weights of a run that was never
 * stopped: same bytes, on CPU. LoRA runs with dropout, so the random draws are covered too; prompt tuning
 * trains a soft prompt started at random.
 */
class ResumeTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({"lora, adapter/adapter_model.safetensors", "full, model/model.safetensors",
            "prompt_tuning, adapter/adapter_model.safetensors"})
    void stoppedAndResumedEqualsUninterrupted(String method, String weightsFile) throws Exception {
        ObjectNode spec = TrainerTest.spec(dir, method);
        ((ObjectNode) spec.get("data")).remove("validation");
        spec.remove("eval_steps");
        spec.put("save_steps", 2);

        spec.put("output_dir", "straight");
        TrainRun.Outcome straight = TrainRun.run("train", spec, dir, StopSignal.manual());
        assertEquals(ExitCode.DONE, straight.exitCode(), straight.events().toString());

        spec.put("output_dir", "interrupted");
        TrainRun.Outcome first = TrainRun.trainStoppedAfter(4, spec, dir);
        assertEquals(ExitCode.TERMINATED, first.exitCode(), first.events().toString());
        WorkerEvent.Stopped stopped = first.last(WorkerEvent.Stopped.class);
        assertEquals(4, stopped.step());
        assertTrue(Files.isDirectory(dir.resolve("interrupted/checkpoint-4")));

        spec.put("resume_from", "interrupted/checkpoint-4");
        TrainRun.Outcome resumed = TrainRun.run("train", spec, dir, StopSignal.manual());
        assertEquals(ExitCode.DONE, resumed.exitCode(), resumed.events().toString());
        assertEquals(4, resumed.last(WorkerEvent.Started.class).resumedFromStep());
        assertEquals(2, resumed.all(WorkerEvent.Progress.class).size(), "steps 5 and 6 only");

        assertArrayEquals(Files.readAllBytes(dir.resolve("straight").resolve(weightsFile)),
                Files.readAllBytes(dir.resolve("interrupted").resolve(weightsFile)));
    }
}
