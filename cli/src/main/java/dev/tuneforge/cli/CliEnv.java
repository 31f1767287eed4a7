package dev.tuneforge.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * What the CLI reads from and writes to: the environment, stdout, stderr and stdin. Tests pass their
 * own, so the CLI runs in-process against a test gateway with its own config file.
 */
public record CliEnv(Map<String, String> env, PrintWriter out, PrintWriter err, BufferedReader in) {

    public static CliEnv system() {
        return new CliEnv(System.getenv(), new PrintWriter(System.out, true, StandardCharsets.UTF_8),
                new PrintWriter(System.err, true, StandardCharsets.UTF_8),
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)));
    }

    /** $TUNEFORGE_CONFIG, else $XDG_CONFIG_HOME/tuneforge/config.json, else ~/.config/tuneforge/config.json. */
    public Path defaultConfigFile() {
        String explicit = env.get("TUNEFORGE_CONFIG");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String xdg = env.get("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                : Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".config");
        return base.resolve("tuneforge").resolve("config.json");
    }
}
