package dev.tuneforge.worker.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.worker.Main;
import dev.tuneforge.worker.TrainRun;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.ProtocolSchemaValidator;
import dev.tuneforge.worker.protocol.WorkerEvent;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM to a real worker process: it writes a checkpoint, exits 143, and the run resumes from it. */
class SigtermTest {

    @TempDir
    Path dir;

    @Test
    void sigtermWritesACheckpointAndExits143ThenResumeFinishes() throws Exception {
        ObjectNode spec = TrainerTest.spec(dir, "lora");
        ((ObjectNode) spec.get("hyperparameters")).put("max_steps", 400);
        spec.remove("eval_steps");
        spec.put("save_steps", 1000);
        spec.put("output_dir", "out");
        Path specFile = Files.writeString(dir.resolve("spec.json"), spec.toPrettyString());

        Process worker = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true", "-Dai.djl.default_engine=PyTorch",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "train", "--spec", specFile.toString(), "--workdir", dir.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        List<WorkerEvent> events = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(worker.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                WorkerEvent event = ProtocolSchemaValidator.validEvent(line);
                events.add(event);
                if (event instanceof WorkerEvent.Progress p && p.step() == 2) {
                    // SIGTERM, as Process.destroy() sends it, but without closing our end of stdout.
                    worker.toHandle().destroy();
                }
            }
        }
        assertTrue(worker.waitFor(60, TimeUnit.SECONDS));
        assertEquals(ExitCode.TERMINATED, ExitCode.of(worker.exitValue()), events.toString());
        WorkerEvent.Stopped stopped = (WorkerEvent.Stopped) events.getLast();
        assertTrue(stopped.step() >= 2 && stopped.step() < 400, stopped.toString());
        Path checkpoint = Path.of(stopped.checkpoint());
        assertTrue(Files.isRegularFile(checkpoint.resolve(TrainingCheckpoint.STATE_FILE)), checkpoint.toString());

        assertEquals(stopped.step(), TrainingCheckpoint.readState(checkpoint).globalStep());

        // Finish sooner than planned: the run's length may change on resume, its data and batching not.
        ((ObjectNode) spec.get("hyperparameters")).put("max_steps", (int) stopped.step() + 2);
        spec.put("resume_from", "latest");
        TrainRun.Outcome resumed = TrainRun.run("train", spec, dir, StopSignal.manual());
        assertEquals(ExitCode.DONE, resumed.exitCode(), resumed.events().toString());
        assertEquals(stopped.step(), resumed.last(WorkerEvent.Started.class).resumedFromStep());
        assertEquals(2, resumed.all(WorkerEvent.Progress.class).size());
        assertTrue(Files.isRegularFile(dir.resolve("out/adapter/adapter_model.safetensors")));
    }
}
