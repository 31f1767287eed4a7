package dev.tuneforge.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The process side of the launcher, with a shell script standing in for a runtime. */
class WorkerProcessTest {

    @TempDir
    Path dir;

    private WorkerCommand script(String body) throws Exception {
        Path script = dir.resolve("fake-worker.sh");
        Files.writeString(script, "#!/bin/sh\n" + body + "\n");
        script.toFile().setExecutable(true);
        return new WorkerCommand("fake", List.of("/bin/sh", script.toString()), Map.of("FAKE", "1"));
    }

    @Test
    void eventsAreReadAndOtherOutputIgnored() throws Exception {
        WorkerCommand cmd = script("""
                echo '{"event":"started","total_steps":2}'
                echo 'not an event'
                echo "env $FAKE $1 $2" >&2
                echo '{"event":"progress","step":1,"train_loss":2.5}'
                echo '{"event":"finished","best_step":2}'""");
        WorkerProcess worker = WorkerProcess.start(cmd, "train", dir.resolve("spec.json"), dir);
        RunningWorker running = worker;
        assertEquals(Long.toString(worker.pid()), running.id());
        List<WorkerEvent> events = new ArrayList<>();
        assertEquals(0, running.pumpEvents(events::add));
        assertEquals(List.of("started", "progress", "finished"), events.stream().map(WorkerEvent::name).toList());
        assertEquals(2.5, events.get(1).doubleField("train_loss"));
        assertEquals("env 1 train --spec", Files.readString(worker.log()).strip());
    }

    @Test
    void sigtermAndKillAreTold() throws Exception {
        WorkerCommand cmd = script("""
                trap 'echo "{\\"event\\":\\"stopped\\",\\"step\\":3}"; exit 143' TERM
                echo '{"event":"started"}'
                while true; do sleep 0.05; done""");
        WorkerProcess worker = WorkerProcess.start(cmd, "train", dir.resolve("spec.json"), dir);
        List<String> names = new ArrayList<>();
        int code = worker.pumpEvents(e -> {
            names.add(e.name());
            if (e.name().equals("started")) {
                worker.terminate();
            }
        });
        assertEquals(143, code);
        assertEquals(List.of("started", "stopped"), names);

        WorkerProcess killed = WorkerProcess.start(script("echo '{\"event\":\"started\"}'; exec sleep 30"), "train",
                dir.resolve("spec.json"), dir);
        int killedCode = killed.pumpEvents(e -> killed.kill());
        assertEquals(137, killedCode);
        assertEquals("worker exited with 137 (killed by signal 9)", WorkerProcess.describeExit(killedCode));
    }

    @Test
    void anOrphanIsRecognisedByItsWorkDirectory() throws Exception {
        Path workdir = Files.createDirectories(dir.resolve("job_1/attempt-1"));
        // a loop, not "exec sleep": after an exec the command line no longer names the work directory, and the
        // check below raced with it
        Process sleeper = new ProcessBuilder("/bin/sh", "-c", "while :; do sleep 0.1; done", "worker",
                workdir.toString()).start();
        try {
            long pid = sleeper.pid();
            assertTrue(WorkerProcess.orphan(pid, workdir).isPresent());
            assertTrue(WorkerProcess.orphan(pid, dir.resolve("job_2/attempt-1")).isEmpty());
        } finally {
            sleeper.destroyForcibly();
        }
    }
}
