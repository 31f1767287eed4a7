package dev.tuneforge.system;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The CLI as a user runs it ({@code bin/tuneforge <command>}): a process from its build in {@code cli/target},
 * talking to one gateway with one API key. Its config file and temporary files stay in {@code home}.
 */
final class Cli {

    record Run(int exitCode, String output) { }

    private final Path repo;
    private final String url;
    private final String key;
    private final Path home;

    Cli(Path repo, String url, String key, Path home) {
        this.repo = repo;
        this.url = url;
        this.key = key;
        this.home = home;
    }

    /** Where the CLI's temporary files go ({@code java.io.tmpdir}), e.g. the files the demo writes and uploads. */
    Path tmp() {
        return home.resolve("tmp");
    }

    /** Runs one command to its end. */
    Run run(String... args) throws Exception {
        Path target = repo.resolve("cli/target");
        String jar;
        try (var files = Files.list(target)) {
            jar = files.map(Path::toString)
                    .filter(f -> f.matches(".*/tuneforge-cli-[^/]*\\.jar") && !f.endsWith("-sources.jar"))
                    .findFirst().orElseThrow();
        }
        Files.createDirectories(tmp());
        String classpath = jar + ":" + Files.readString(target.resolve("cli.classpath")).strip();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Djava.io.tmpdir=" + tmp(), "-cp", classpath,
                "dev.tuneforge.cli.TuneforgeCli"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("TUNEFORGE_URL", url);
        pb.environment().put("TUNEFORGE_API_KEY", key);
        pb.environment().put("TUNEFORGE_CONFIG", home.resolve("cli-config.json").toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), out);
    }
}
