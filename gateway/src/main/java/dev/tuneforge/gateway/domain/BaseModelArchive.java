package dev.tuneforge.gateway.domain;

import dev.tuneforge.gateway.api.ApiException;
import org.apache.commons.compress.archivers.ArchiveEntry;
import org.apache.commons.compress.archivers.ArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * The files of a model directory as uploaded (a tar, tar.gz or zip archive, or multipart files), unpacked
 * into a temporary directory with their sizes and sha256. Unsafe input is refused before anything is
 * written outside that directory: absolute paths, {@code ..}, links and devices, more than
 * {@code maxFiles} files, more than {@code maxBytes} unpacked. A single top-level directory (an archive of
 * {@code tiny-llama/}) is stripped.
 */
public final class BaseModelArchive implements AutoCloseable {

    /** One file of the model directory. */
    public record File(String path, Path location, long size, String sha256) {
    }

    /** Limits on what one upload may unpack to. */
    public record Limits(int maxFiles, long maxBytes) {
    }

    private static final Pattern SAFE_SEGMENT = Pattern.compile("[A-Za-z0-9._+-][A-Za-z0-9._+ -]*");

    private final Path dir;
    private final Limits limits;
    private final Map<String, File> files = new TreeMap<>();
    private long bytes;

    private BaseModelArchive(Limits limits) {
        this.limits = limits;
        try {
            this.dir = Files.createTempDirectory("tuneforge-base-model-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory", e);
        }
    }

    /** Unpacks an archive body: gzip (then tar), zip or tar, told apart by their first bytes. */
    public static BaseModelArchive unpack(InputStream body, Limits limits) {
        BaseModelArchive archive = new BaseModelArchive(limits);
        try {
            InputStream in = new BufferedInputStream(body, 64 * 1024);
            in.mark(4);
            int b0 = in.read();
            int b1 = in.read();
            in.reset();
            if (b0 == -1) {
                throw ApiException.missing("the body is empty: send a .tar, .tar.gz or .zip of the model directory");
            }
            ArchiveInputStream<? extends ArchiveEntry> entries;
            if (b0 == 0x1f && b1 == 0x8b) {
                entries = new TarArchiveInputStream(new GZIPInputStream(in, 64 * 1024));
            } else if (b0 == 'P' && b1 == 'K') {
                entries = new ZipArchiveInputStream(in);
            } else {
                entries = new TarArchiveInputStream(in);
            }
            archive.readAll(entries);
            if (archive.files.isEmpty()) {
                throw ApiException.invalid("the body holds no files: send a .tar, .tar.gz or .zip of the model directory");
            }
            archive.stripTopDirectory();
            return archive;
        } catch (IOException e) {
            archive.close();
            throw ApiException.invalid("the body is not a readable .tar, .tar.gz or .zip archive: " + e.getMessage());
        } catch (RuntimeException e) {
            archive.close();
            throw e;
        }
    }

    /** A model directory sent as multipart files: each part's file name is its path in the directory. */
    public static BaseModelArchive ofFiles(Map<String, Path> parts, Limits limits) {
        BaseModelArchive archive = new BaseModelArchive(limits);
        try {
            for (Map.Entry<String, Path> part : parts.entrySet()) {
                try (InputStream in = Files.newInputStream(part.getValue())) {
                    archive.add(part.getKey(), in);
                }
            }
            return archive;
        } catch (IOException e) {
            archive.close();
            throw new UncheckedIOException("cannot read the uploaded parts", e);
        } catch (RuntimeException e) {
            archive.close();
            throw e;
        }
    }

    /** The files by their path in the model directory, sorted by path. */
    public Map<String, File> files() {
        return files;
    }

    private void readAll(ArchiveInputStream<? extends ArchiveEntry> entries) throws IOException {
        for (ArchiveEntry entry = entries.getNextEntry(); entry != null; entry = entries.getNextEntry()) {
            String name = entry.getName();
            if (entry instanceof TarArchiveEntry tar && !tar.isFile() && !tar.isDirectory()) {
                throw ApiException.invalid("the archive entry '" + name + "' is not a regular file or directory"
                        + " (links and devices are refused)");
            }
            if (entry instanceof ZipArchiveEntry zip && zip.isUnixSymlink()) {
                throw ApiException.invalid("the archive entry '" + name + "' is a symbolic link (refused)");
            }
            String path = safePath(name);
            if (entry.isDirectory() || path.isEmpty()) {
                continue;
            }
            add(path, entries);
        }
    }

    private void add(String name, InputStream content) throws IOException {
        String path = safePath(name);
        if (path.isEmpty()) {
            throw ApiException.invalid("a file without a name: '" + name + "'");
        }
        if (files.containsKey(path)) {
            throw ApiException.invalid("'" + path + "' appears twice");
        }
        if (files.size() >= limits.maxFiles()) {
            throw ApiException.invalid("more than " + limits.maxFiles() + " files: a model directory has a few dozen");
        }
        Path target = dir.resolve(path).normalize();
        if (!target.startsWith(dir)) {
            throw ApiException.invalid("unsafe path '" + name + "'");
        }
        Files.createDirectories(target.getParent());
        MessageDigest sha256 = sha256();
        long size = 0;
        byte[] buffer = new byte[64 * 1024];
        try (OutputStream out = new DigestOutputStream(Files.newOutputStream(target), sha256)) {
            for (int read = content.read(buffer); read != -1; read = content.read(buffer)) {
                size += read;
                bytes += read;
                if (bytes > limits.maxBytes()) {
                    throw ApiException.invalid("the model unpacks to more than " + limits.maxBytes() + " bytes");
                }
                out.write(buffer, 0, read);
            }
        }
        files.put(path, new File(path, target, size, HexFormat.of().formatHex(sha256.digest())));
    }

    /**
     * A relative path of safe segments, '/'-separated, without a leading "./"; refuses absolute paths,
     * "..", backslashes and control characters.
     */
    static String safePath(String name) {
        if (name == null) {
            return "";
        }
        if (name.startsWith("/") || name.contains("\\") || name.matches("^[A-Za-z]:.*")) {
            throw ApiException.invalid("unsafe path '" + name + "': absolute paths are refused");
        }
        StringBuilder path = new StringBuilder();
        for (String segment : name.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                throw ApiException.invalid("unsafe path '" + name + "': '..' is refused");
            }
            if (!SAFE_SEGMENT.matcher(segment).matches() || segment.length() > 255) {
                throw ApiException.invalid("unsafe path '" + name + "': only letters, digits, '.', '_', '+', '-'"
                        + " and spaces are allowed in file names");
            }
            path.append(path.isEmpty() ? "" : "/").append(segment);
        }
        return path.toString();
    }

    /** "tiny-llama/config.json", ... → "config.json", ... when every file is under one directory. */
    private void stripTopDirectory() {
        if (files.isEmpty() || files.containsKey("config.json")) {
            return;
        }
        String first = files.keySet().iterator().next();
        int slash = first.indexOf('/');
        if (slash < 0) {
            return;
        }
        String prefix = first.substring(0, slash + 1);
        if (!files.keySet().stream().allMatch(path -> path.startsWith(prefix))) {
            return;
        }
        Map<String, File> stripped = new TreeMap<>();
        files.values().forEach(file -> stripped.put(file.path().substring(prefix.length()),
                new File(file.path().substring(prefix.length()), file.location(), file.size(), file.sha256())));
        files.clear();
        files.putAll(stripped);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException ignored) {
                    // a temp file; the OS cleans it eventually
                }
            });
        } catch (IOException ignored) {
            // as above
        }
    }
}
