package dev.tuneforge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/** {@code tuneforge base-models upload|list|show|write-tiny}. */
@Command(name = "base-models", mixinStandardHelpOptions = true,
        description = "Base models: the platform's catalogue of Hugging Face model directories to fine-tune.",
        subcommands = {BaseModelsCommand.Upload.class, BaseModelsCommand.ListModels.class, BaseModelsCommand.Show.class,
                BaseModelsCommand.WriteTiny.class},
        footer = ExitCodes.FOOTER)
class BaseModelsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return TuneforgeCli.usage(spec, ((TuneforgeCli) spec.root().userObject()).env());
    }

    @Command(name = "upload", mixinStandardHelpOptions = true,
            description = {"Register a base model (platform admin key): a Hugging Face model directory (config.json,",
                    "model.safetensors or its index and shards, tokenizer.json), sent as a tar, or a .tar, .tar.gz or",
                    ".zip of one. The same files under the same name again change nothing."},
            footer = ExitCodes.FOOTER)
    static class Upload extends ApiCommand {

        @Parameters(paramLabel = "DIR|ARCHIVE", description = "The model directory, or an archive of it.")
        Path source;

        @Option(names = "--name", paramLabel = "NAME",
                description = "Catalogue name, [a-z0-9][a-z0-9._-]* (default: the directory's or archive's name).")
        String name;

        @Override
        void run(GatewayClient client) {
            if (!Files.exists(source)) {
                throw new CliException(ExitCodes.USAGE, "cannot read " + source);
            }
            String file = source.getFileName().toString();
            String modelName = name != null ? name
                    : file.replaceFirst("\\.(tar\\.gz|tgz|tar|zip)$", "").toLowerCase(Locale.ROOT);
            Path body = source;
            String type;
            Path tar = null;
            try {
                if (Files.isDirectory(source)) {
                    tar = Files.createTempFile("tuneforge-base-model-", ".tar");
                    tar(source, tar);
                    body = tar;
                    type = "application/x-tar";
                } else if (file.endsWith(".tar.gz") || file.endsWith(".tgz")) {
                    type = "application/gzip";
                } else if (file.endsWith(".zip")) {
                    type = "application/zip";
                } else if (file.endsWith(".tar")) {
                    type = "application/x-tar";
                } else {
                    throw new CliException(ExitCodes.USAGE, source + " is neither a directory nor a .tar, .tar.gz or"
                            + " .zip archive");
                }
                DatasetsCommand.ProgressBar progress = new DatasetsCommand.ProgressBar(connection.env().err(),
                        Files.size(body), !json() && System.console() != null);
                JsonNode manifest = client.postFile("/api/v1/base-models", Map.of("name", modelName), body, type,
                        progress::update);
                progress.done();
                if (json()) {
                    printJson(manifest);
                } else {
                    out().printf("Registered base model %s: %s %d files, sha256 %s%n", text(manifest, "name"),
                            text(manifest.path("config"), "model_type"), manifest.path("files").size(),
                            text(manifest, "sha256"));
                }
            } catch (IOException e) {
                throw new CliException(ExitCodes.USAGE, "cannot read " + source + ": " + e.getMessage());
            } finally {
                if (tar != null) {
                    try {
                        Files.deleteIfExists(tar);
                    } catch (IOException ignored) {
                        // a temp file; the OS cleans it eventually
                    }
                }
            }
        }

        /** The directory's regular files, with paths relative to it (links are followed, not archived). */
        static void tar(Path dir, Path target) throws IOException {
            List<Path> files;
            try (Stream<Path> walk = Files.walk(dir)) {
                files = walk.filter(Files::isRegularFile).sorted().toList();
            }
            try (OutputStream out = Files.newOutputStream(target);
                 TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                for (Path file : files) {
                    TarArchiveEntry entry = new TarArchiveEntry(file.toFile(),
                            dir.relativize(file).toString().replace('\\', '/'));
                    tar.putArchiveEntry(entry);
                    Files.copy(file, tar);
                    tar.closeArchiveEntry();
                }
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the registered base models.",
            footer = ExitCodes.FOOTER)
    static class ListModels extends ApiCommand {

        @Override
        void run(GatewayClient client) {
            printPage(client.get("/api/v1/base-models", Map.of()),
                    List.of("NAME", "TYPE", "HIDDEN", "LAYERS", "VOCAB", "CONTEXT", "FILES", "SIZE", "SHA256"),
                    List.of(m -> text(m, "name"), m -> text(m.path("config"), "model_type"),
                            m -> text(m.path("config"), "hidden_size"), m -> text(m.path("config"), "num_hidden_layers"),
                            m -> text(m.path("config"), "vocab_size"),
                            m -> text(m.path("config"), "max_position_embeddings"),
                            m -> Integer.toString(m.path("files").size()), m -> size(m.path("files")),
                            m -> text(m, "sha256").substring(0, Math.min(12, text(m, "sha256").length()))));
        }

        private static String size(JsonNode files) {
            long bytes = 0;
            for (JsonNode file : files) {
                bytes += file.path("size").asLong();
            }
            return bytes >= 1 << 30 ? String.format("%.1f GB", bytes / 1073741824.0)
                    : bytes >= 1 << 20 ? String.format("%.1f MB", bytes / 1048576.0)
                    : String.format("%.1f KB", bytes / 1024.0);
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "A base model's manifest: its files with sizes and sha256, and its config.",
            footer = ExitCodes.FOOTER)
    static class Show extends ApiCommand {

        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        void run(GatewayClient client) {
            JsonNode manifest = client.get("/api/v1/base-models/" + name, Map.of());
            if (json()) {
                printJson(manifest);
                return;
            }
            out().printf("%s  sha256 %s  registered %s%n", text(manifest, "name"), text(manifest, "sha256"),
                    text(manifest, "registered_at"));
            out().println("config " + manifest.path("config"));
            List<List<String>> rows = new java.util.ArrayList<>();
            rows.add(List.of("PATH", "SIZE", "SHA256"));
            manifest.path("files").forEach(f -> rows.add(List.of(text(f, "path"), text(f, "size"), text(f, "sha256"))));
            printTable(rows);
        }
    }

    @Command(name = "write-tiny", mixinStandardHelpOptions = true,
            description = {"Write a tiny Llama model directory (4 layers, hidden size 128, 0.7M random weights, a",
                    "byte-level tokenizer, 256 positions): small enough to fine-tune on a CPU in minutes, large enough",
                    "to learn the demo's JSON task. `bin/tuneforge up` registers it as tiny-llama."},
            footer = ExitCodes.FOOTER)
    static class WriteTiny implements Callable<Integer> {

        /** The shape of the worker's learning test, which reaches 29/30 on the JSON task (docs/WORKER_PROTOCOL.md). */
        static final TinyLlamaWriter.Spec TINY = new TinyLlamaWriter.Spec(128, 256, 4, 4, 4, 32, 0, false, false,
                dev.tuneforge.worker.safetensors.DType.F32, 1, 256, 10000.0, 1.0, 3L);

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "DIR", description = "Where to write it (created if needed).")
        Path dir;

        @Override
        public Integer call() {
            TinyLlamaWriter.write(dir, TINY);
            ((TuneforgeCli) spec.root().userObject()).env().out().println("Wrote a tiny Llama model to " + dir);
            return ExitCodes.OK;
        }
    }
}
