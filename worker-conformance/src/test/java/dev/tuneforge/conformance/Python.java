package dev.tuneforge.conformance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Scripts run with the torch runtime's python: the suite's own (test resources) and worker/parity's. */
final class Python {

    private Python() {
    }

    /** What a script's run printed, and its status. */
    record Result(int status, String stdout, Path log) {
        String describe() {
            return "exit " + status + "\n" + stdout + "\n--- " + log + " ---\n" + Conformance.tail(log);
        }
    }

    /** A script of this module's test resources, e.g. {@code tokenization/encode_examples.py}. */
    static Path resource(String name) {
        try {
            return Path.of(Python.class.getClassLoader().getResource(name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("no test resource " + name, e);
        }
    }

    /** Runs {@code script args...} in {@code workdir}; stderr goes to {@code workdir/<script>.log}. */
    static Result run(Path workdir, Path script, String... args) {
        List<String> line = new ArrayList<>(List.of(Conformance.python().toString(), script.toString()));
        line.addAll(List.of(args));
        Path log = workdir.resolve(script.getFileName() + ".log");
        try {
            Process process = new ProcessBuilder(line).directory(workdir.toFile())
                    .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            process.getOutputStream().close();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(script + " did not end within 120 s");
            }
            return new Result(process.exitValue(), out, log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
