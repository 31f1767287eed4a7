package dev.tuneforge.launcher;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.worker.protocol.EventLines;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.protocol.WorkerExit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The process side of the launcher, with a shell script standing in for a runtime: events, signals, the watchdog that
 * ends a worker that ignores SIGTERM or goes quiet, and the environment a worker gets.
 */
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
    void aWorkerThatIgnoresSigtermIsKilledWhenItsGraceRunsOut() throws Exception {
        WorkerCommand cmd = script("trap '' TERM\n" + echo(STARTED) + "\nwhile true; do sleep 0.05; done");
        WorkerProcess worker = WorkerProcess.start(cmd, "train", dir.resolve("spec.json"), dir,
                new WorkerWatchdog(Duration.ofMillis(300), null));
        WorkerExit exit = worker.pumpEvents(e -> worker.terminate());
        assertEquals(ExitCode.KILLED, exit.code());
        assertEquals(Optional.of("it did not exit within 300 ms of SIGTERM, so it was killed"),
                worker.watchdogReason());
    }

    @Test
    void aWorkerThatPrintsNothingForTheStallTimeoutIsStoppedAndSaysWhy() throws Exception {
        WorkerEvent stopped = new WorkerEvent.Stopped(0, null, "SIGTERM");
        WorkerCommand cmd = script("stop() { " + echo(stopped) + "; exit " + ExitCode.TERMINATED.status() + "; }\n"
                + "trap stop TERM\n" + echo(STARTED) + "\nwhile true; do sleep 0.05; done");
        WorkerProcess worker = WorkerProcess.start(cmd, "train", dir.resolve("spec.json"), dir,
                new WorkerWatchdog(Duration.ofMinutes(1), Duration.ofMillis(500)));
        List<WorkerEvent> events = new ArrayList<>();
        WorkerExit exit = worker.pumpEvents(events::add);
        assertEquals(ExitCode.TERMINATED, exit.code());
        assertEquals(List.of(STARTED, stopped), events);
        assertEquals(Optional.of("it printed nothing for 500 ms, so it was stopped"), worker.watchdogReason());
    }

    @Test
    void timeSpentHandlingALineIsNotTheWorkersSilence() throws Exception {
        Path printed = dir.resolve("printed");
        Path go = dir.resolve("go");
        WorkerCommand cmd = script(echo(STARTED) + "\nfor i in 1 2 3 4 5 6 7 8; do " + echo(PROGRESS)
                + "; sleep 0.1; done\ntouch '" + printed + "'\nwhile [ ! -e '" + go + "' ]; do sleep 0.05; done\n"
                + echo(FINISHED));
        WorkerProcess worker = WorkerProcess.start(cmd, "train", dir.resolve("spec.json"), dir,
                new WorkerWatchdog(Duration.ofMillis(100), Duration.ofMillis(500)));
        List<WorkerEvent> events = new ArrayList<>();
        // the listener takes longer than the stall timeout with the first line, as an upload can
        assertEquals(WorkerExit.of(ExitCode.DONE), worker.pumpEvents(e -> {
            events.add(e);
            if (e instanceof WorkerEvent.Started) {
                await().atMost(Duration.ofMinutes(1)).until(() -> Files.exists(printed));
                try {
                    Files.createFile(go);
                } catch (java.io.IOException ex) {
                    throw new java.io.UncheckedIOException(ex);
                }
            }
        }));
        assertEquals(10, events.size());
        assertEquals(Optional.empty(), worker.watchdogReason());
    }

    @Test
    void killEndsWhatTheWorkerStartedSoNothingKeepsItsOutputOpen() throws Exception {
        Path childPid = dir.resolve("child.pid");
        WorkerCommand cmd = script("sh -c 'trap \"\" TERM; while :; do sleep 1; done' &\necho $! > '" + childPid
                + "'\n" + echo(STARTED) + "\nwait");
        WorkerProcess worker = WorkerProcess.start(cmd, "train", dir.resolve("spec.json"), dir);
        CompletableFuture<WorkerExit> exit = CompletableFuture.supplyAsync(() -> {
            try {
                return worker.pumpEvents(e -> worker.kill());
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            await().atMost(Duration.ofMinutes(1)).until(exit::isDone);
            assertEquals(ExitCode.KILLED, exit.get().code());
            long child = Long.parseLong(Files.readString(childPid).strip());
            await().atMost(Duration.ofMinutes(1))
                    .until(() -> ProcessHandle.of(child).map(p -> !p.isAlive()).orElse(true));
        } finally {
            if (Files.exists(childPid)) {
                ProcessHandle.of(Long.parseLong(Files.readString(childPid).strip()))
                        .ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    @Test
    void aWorkerStartsWithTheFewVariablesItNeedsAndNoneOfTheServicesOthers() throws Exception {
        Path dump = dir.resolve("environment");
        WorkerCommand cmd = script("tr '\\0' '\\n' < /proc/$$/environ > '" + dump + "'\n" + echo(FINISHED));
        WorkerProcess worker = WorkerProcess.start(cmd, "train", dir.resolve("spec.json"), dir);
        assertEquals(WorkerExit.of(ExitCode.DONE), worker.pumpEvents(e -> { }));

        Map<String, String> env = Files.readAllLines(dump).stream().filter(l -> l.contains("="))
                .collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')), l -> l.substring(l.indexOf('=') + 1)));
        assertEquals(WorkerEnvironment.of(cmd), env);
        assertEquals("1", env.get("FAKE"), "the runtime's own variables");
        assertEquals(System.getenv("PATH"), env.get("PATH"));
        for (String name : System.getenv().keySet()) {
            if (!WorkerEnvironment.INHERITED.contains(name) && !name.startsWith("LC_")) {
                assertFalse(env.containsKey(name), name + " of the service's environment reached the worker");
            }
        }
    }

    @Test
    void theServicesCredentialsAndSettingsStayOutOfAWorkersEnvironment() {
        Map<String, String> service = Map.ofEntries(Map.entry("PATH", "/usr/bin:/bin"), Map.entry("HOME", "/home/svc"),
                Map.entry("LANG", "C.UTF-8"), Map.entry("LC_ALL", "C.UTF-8"), Map.entry("TZ", "UTC"),
                Map.entry("OMP_NUM_THREADS", "16"),
                Map.entry("TUNEFORGE_S3_SECRET_KEY", "s3-secret"), Map.entry("TUNEFORGE_S3_ACCESS_KEY", "s3-access"),
                Map.entry("AWS_SECRET_ACCESS_KEY", "aws-secret"), Map.entry("QUARKUS_DATASOURCE_PASSWORD", "db-secret"),
                Map.entry("QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://db/trainer"),
                Map.entry("TUNEFORGE_ADMIN_KEY", "tf_preset"), Map.entry("TUNEFORGE_API_KEY", "tf_user"),
                Map.entry("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092"));
        assertEquals(Map.ofEntries(Map.entry("PATH", "/usr/bin:/bin"), Map.entry("HOME", "/home/svc"),
                        Map.entry("LANG", "C.UTF-8"), Map.entry("LC_ALL", "C.UTF-8"), Map.entry("TZ", "UTC"),
                        Map.entry("OMP_NUM_THREADS", "1"), Map.entry("MKL_NUM_THREADS", "1"),
                        Map.entry("MKL_DYNAMIC", "FALSE"), Map.entry("OMP_DYNAMIC", "FALSE"),
                        Map.entry("MKL_CBWR", "AUTO"), Map.entry("PYTHONUNBUFFERED", "1")),
                WorkerEnvironment.of(WorkerCommand.torch("python3", 1), service));
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
