package dev.tuneforge.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.worker.protocol.EventLines;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.protocol.WorkerExit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The process side of the launcher, with a shell script standing in for a runtime. */
class WorkerProcessTest {

    private static final WorkerEvent STARTED = new WorkerEvent.Started("train", "torch", "cpu", 2, 16, null, 64, 0);
    private static final WorkerEvent PROGRESS = new WorkerEvent.Progress(1, 2, 0.5, 2.5, 1e-4, 0.9, 100, 1);
    private static final WorkerEvent FINISHED = new WorkerEvent.Finished(2, Map.of("model", "/w/out/model"), Map.of());

    @TempDir
    Path dir;

    /** A shell line that prints the event as the runtime would. */
    private static String echo(WorkerEvent event) {
        return "echo '" + EventLines.write(event) + "'";
    }

    private WorkerCommand script(String body) throws Exception {
        Path script = dir.resolve("fake-worker.sh");
        Files.writeString(script, "#!/bin/sh\n" + body + "\n");
        script.toFile().setExecutable(true);
        return new WorkerCommand("fake", List.of("/bin/sh", script.toString()), Map.of("FAKE", "1"));
    }

    @Test
    void typedEventsAreReadAndOtherOutputIgnored() throws Exception {
        WorkerCommand cmd = script(String.join("\n", echo(STARTED),
                "echo 'not an event'",
                "echo '{\"event\":\"profiled\",\"flops\":1}'",
                "echo \"env $FAKE $1 $2\" >&2",
                echo(PROGRESS),
                echo(FINISHED)));
        WorkerProcess worker = WorkerProcess.start(cmd, "train", dir.resolve("spec.json"), dir);
        RunningWorker running = worker;
        assertEquals(Long.toString(worker.pid()), running.id());
        List<WorkerEvent> events = new ArrayList<>();
        assertEquals(WorkerExit.of(ExitCode.DONE), running.pumpEvents(events::add));
        assertEquals(List.of(STARTED, PROGRESS, FINISHED), events);
        assertEquals("env 1 train --spec", Files.readString(worker.log()).strip());
    }

    @Test
    void sigtermAndKillAreTold() throws Exception {
        WorkerEvent stopped = new WorkerEvent.Stopped(3, "/w/out/checkpoint-3", "SIGTERM");
        WorkerCommand cmd = script("stop() { " + echo(stopped) + "; exit " + ExitCode.TERMINATED.status() + "; }\n"
                + "trap stop TERM\n" + echo(STARTED) + "\nwhile true; do sleep 0.05; done");
        WorkerProcess worker = WorkerProcess.start(cmd, "train", dir.resolve("spec.json"), dir);
        List<WorkerEvent> events = new ArrayList<>();
        WorkerExit exit = worker.pumpEvents(e -> {
            events.add(e);
            if (e instanceof WorkerEvent.Started) {
                worker.terminate();
            }
        });
        assertEquals(ExitCode.TERMINATED, exit.code());
        assertEquals(List.of(STARTED, stopped), events);

        WorkerProcess killed = WorkerProcess.start(script(echo(STARTED) + "; exec sleep 30"), "train",
                dir.resolve("spec.json"), dir);
        WorkerExit killedExit = killed.pumpEvents(e -> killed.kill());
        assertEquals(ExitCode.KILLED, killedExit.code());
        assertEquals("worker exited with 137 (killed by signal 9)", killedExit.describe());
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
