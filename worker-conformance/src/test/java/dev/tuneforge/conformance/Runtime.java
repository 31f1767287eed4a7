package dev.tuneforge.conformance;

import dev.tuneforge.launcher.WorkerCommand;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The two runtimes of the worker protocol, each launched by the command a service uses. Neither gets anything
 * a launcher would not give it: the one math thread both use comes from the environment this JVM passes on
 * (the module's pom), as a launcher's does.
 */
enum Runtime {
    /** Java on DJL's PyTorch engine (module {@code worker}). */
    DJL,
    /** Python on PyTorch, transformers and PEFT ({@code worker/python}). */
    TORCH;

    /** {@code djl} or {@code torch}, as the {@code started} event names it. */
    String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    WorkerCommand command() {
        return switch (this) {
            case DJL -> WorkerCommand.djl(Path.of(System.getProperty("java.home")), Conformance.workerHome(), 1, "2g");
            case TORCH -> WorkerCommand.torch(Conformance.python().toString());
        };
    }

    @Override
    public String toString() {
        return wireName();
    }
}
