package dev.tuneforge.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The torch runtime's environment made on first use, with a shell script standing in for python-env. */
class PythonEnvironmentTest {

    @TempDir
    Path dir;

    private final List<String> log = Collections.synchronizedList(new ArrayList<>());

    /** A bootstrap that counts its runs, takes a moment, prints a line and makes {@code python}. */
    private String bootstrap(Path python) {
        return "echo run >> '" + dir.resolve("runs") + "'; sleep 0.5; echo 'creating the environment'; mkdir -p '"
                + python.getParent() + "' && printf '#!/bin/sh\\n' > '" + python + "' && chmod +x '" + python + "'";
    }

    @Test
    void aMissingPythonIsMadeOnceEvenWhenTwoSlotsNeedItAtTheSameTime() throws Exception {
        Path python = dir.resolve("venv/bin/python");
        PythonEnvironment env = new PythonEnvironment(python.toString(), Optional.of(bootstrap(python)));
        ExecutorService two = Executors.newFixedThreadPool(2);
        try {
            Callable<Void> ensure = () -> {
                env.ensure("tuneforge.trainer.worker", log::add);
                return null;
            };
            List<Future<Void>> both = two.invokeAll(List.of(ensure, ensure));
            for (Future<Void> f : both) {
                f.get();
            }
        } finally {
            two.shutdown();
        }
        assertTrue(Files.isExecutable(python));
        assertEquals(List.of("run"), Files.readAllLines(dir.resolve("runs")));
        assertTrue(log.contains("python-env: creating the environment"), log.toString());

        env.ensure("tuneforge.trainer.worker", log::add);
        assertEquals(1, Files.readAllLines(dir.resolve("runs")).size(), "an existing python is not made again");
    }

    @Test
    void aPythonOnThePathOrAlreadyThereNeedsNoBootstrap() throws Exception {
        new PythonEnvironment("python3", Optional.of("exit 1")).ensure("tuneforge.eval", log::add);
        new PythonEnvironment("/bin/sh", Optional.of("exit 1")).ensure("tuneforge.eval", log::add);
        assertEquals(List.of(), log);
    }

    @Test
    void aFailedBootstrapSaysSoAndIsTriedAgainNextTime() throws Exception {
        Path python = dir.resolve("venv/bin/python");
        PythonEnvironment env = new PythonEnvironment(python.toString(),
                Optional.of("echo run >> '" + dir.resolve("runs") + "'; echo 'no index reachable' >&2; exit 7"));
        IOException failed = assertThrows(IOException.class, () -> env.ensure("tuneforge.eval", log::add));
        assertTrue(failed.getMessage().contains("exited with 7"), failed.getMessage());
        assertTrue(log.contains("python-env: no index reachable"), log.toString());

        assertThrows(IOException.class, () -> env.ensure("tuneforge.eval", log::add));
        assertEquals(2, Files.readAllLines(dir.resolve("runs")).size());
    }

    @Test
    void aBootstrapThatMakesNothingAndAMissingOneAreNamed() {
        Path python = dir.resolve("venv/bin/python");
        IOException nothing = assertThrows(IOException.class,
                () -> new PythonEnvironment(python.toString(), Optional.of("true")).ensure("tuneforge.eval", log::add));
        assertTrue(nothing.getMessage().contains("still does not exist"), nothing.getMessage());

        IOException none = assertThrows(IOException.class,
                () -> new PythonEnvironment(python.toString(), Optional.empty()).ensure("tuneforge.eval", log::add));
        assertTrue(none.getMessage().contains("tuneforge.eval.torch-python")
                && none.getMessage().contains("tuneforge.eval.torch-bootstrap"), none.getMessage());
    }
}
