package dev.tuneforge.gateway.domain;

import org.apache.commons.compress.archivers.ArchiveEntry;
import org.apache.commons.compress.archivers.ArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
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
 * {@code tiny-llama/}) is stripped. A zip is spooled to a temporary file of its own first (deleted once read), to be
 * read from its central directory.
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
    private final TreeMap<String, File> files = new TreeMap<>();
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
                throw DomainException.missing("the body is empty: send a .tar, .tar.gz or .zip of the model directory");
            }
            if (b0 == 0x1f && b1 == 0x8b) {
                archive.readAll(new TarArchiveInputStream(new GZIPInputStream(in, 64 * 1024)));
            } else if (b0 == 'P' && b1 == 'K') {
                archive.readZip(in);
            } else {
                archive.readAll(new TarArchiveInputStream(in));
            }
            if (archive.files.isEmpty()) {
                throw DomainException.invalid("the body holds no files: send a .tar, .tar.gz or .zip of the model directory");
            }
            archive.stripTopDirectory();
            return archive;
        } catch (IOException e) {
            archive.close();
            throw DomainException.invalid("the body is not a readable .tar, .tar.gz or .zip archive: " + e.getMessage());
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

    /** The temporary directory every file is unpacked into (and nothing outside it). */
    Path directory() {
        return dir;
    }

    private void readAll(ArchiveInputStream<? extends ArchiveEntry> entries) throws IOException {
        for (ArchiveEntry entry = entries.getNextEntry(); entry != null; entry = entries.getNextEntry()) {
            read(entry, entries);
        }
    }

    /**
     * A zip is read from its central directory, for which it is spooled to disk first: only there does an entry have
     * its Unix mode (a symbolic link), which a zip read as a stream never sees.
     */
    private void readZip(InputStream in) throws IOException {
        Path spooled = Files.createTempFile("tuneforge-base-model-", ".zip");
        try {
            Files.copy(in, spooled, StandardCopyOption.REPLACE_EXISTING);
            try (BoundedOpening channel = new BoundedOpening(Files.newByteChannel(spooled), limits.maxFiles());
                 ZipFile zip = openZip(channel)) {
                channel.opened();
                for (ZipArchiveEntry entry : Collections.list(zip.getEntriesInPhysicalOrder())) {
                    try (InputStream content = zip.getInputStream(entry)) {
                        read(entry, content);
                    }
                }
            }
        } finally {
            Files.deleteIfExists(spooled);
        }
    }

    /** ZipFile's errors wrap the reason in a sentence about where it read from; the reason is what the client needs. */
    private static ZipFile openZip(BoundedOpening channel) throws IOException {
        try {
            return ZipFile.builder().setSeekableByteChannel(channel).get();
        } catch (IOException e) {
            throw new IOException(e.getCause() == null ? e.getMessage() : e.getCause().getMessage(), e);
        }
    }

    /**
     * ZipFile reads the whole central directory into memory before it hands out an entry, and reads on for as long as
     * records follow, whatever the zip declares: a zip of a few MB can list millions of entries. So it opens the zip
     * through this channel, which allows a few KB per file a model directory may have (and its search for the end of
     * the central directory) until {@link #opened()}; the files' content is bounded by {@code maxBytes} as it is read.
     */
    private static final class BoundedOpening implements SeekableByteChannel {

        private static final long BYTES_PER_ENTRY = 2048;

        private final SeekableByteChannel channel;
        private final int maxFiles;
        private long allowed;

        BoundedOpening(SeekableByteChannel channel, int maxFiles) {
            this.channel = channel;
            this.maxFiles = maxFiles;
            this.allowed = 64 * 1024 + 2L * (maxFiles + 16) * BYTES_PER_ENTRY; // files and their directories
        }

        void opened() {
            allowed = Long.MAX_VALUE;
        }

        @Override
        public int read(ByteBuffer into) throws IOException {
            int read = channel.read(into);
            allowed -= Math.max(read, 0);
            if (allowed < 0) {
                throw new IOException("the zip lists far more entries than a model directory of at most " + maxFiles
                        + " files has");
            }
            return read;
        }

        @Override
        public int write(ByteBuffer from) {
            throw new NonWritableChannelException();
        }

        @Override
        public long position() throws IOException {
            return channel.position();
        }

        @Override
        public SeekableByteChannel position(long position) throws IOException {
            channel.position(position);
            return this;
        }

        @Override
        public long size() throws IOException {
            return channel.size();
        }

        @Override
        public SeekableByteChannel truncate(long size) {
            throw new NonWritableChannelException();
        }

        @Override
        public boolean isOpen() {
            return channel.isOpen();
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    private void read(ArchiveEntry entry, InputStream content) throws IOException {
        String name = entry.getName();
        // commons-compress calls every tar entry that is not a directory a file, links and devices included.
        if (entry instanceof TarArchiveEntry tar && (tar.isSymbolicLink() || tar.isLink() || tar.isCharacterDevice()
                || tar.isBlockDevice() || tar.isFIFO() || !tar.isFile() && !tar.isDirectory())) {
            throw DomainException.invalid("the archive entry '" + name + "' is not a regular file or directory"
                    + " (links and devices are refused)");
        }
        if (entry instanceof ZipArchiveEntry zip && zip.isUnixSymlink()) {
            throw DomainException.invalid("the archive entry '" + name + "' is a symbolic link (refused)");
        }
        safePath(name);
        if (entry.isDirectory()) {
            return;
        }
        add(name, content);
    }

    private void add(String name, InputStream content) throws IOException {
        String path = safePath(name);
        if (path.isEmpty()) {
            throw DomainException.invalid("a file without a name: '" + name + "'");
        }
        if (files.containsKey(path)) {
            throw DomainException.invalid("'" + path + "' appears twice");
        }
        refuseFileAndDirectoryOfOneName(path);
        if (files.size() >= limits.maxFiles()) {
            throw DomainException.invalid("more than " + limits.maxFiles() + " files: a model directory has a few dozen");
        }
        Path target = dir.resolve(path).normalize();
        if (!target.startsWith(dir)) {
            throw DomainException.invalid("unsafe path '" + name + "'");
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
                    throw DomainException.invalid("the model unpacks to more than " + limits.maxBytes() + " bytes");
                }
                out.write(buffer, 0, read);
            }
        }
        files.put(path, new File(path, target, size, HexFormat.of().formatHex(sha256.digest())));
    }

    /** "a" and "a/b" cannot both be unpacked: one would have to be a file and a directory. */
    private void refuseFileAndDirectoryOfOneName(String path) {
        for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
            if (files.containsKey(path.substring(0, slash))) {
                throw DomainException.invalid("'" + path.substring(0, slash) + "' is both a file and a directory");
            }
        }
        String under = files.ceilingKey(path + "/");
        if (under != null && under.startsWith(path + "/")) {
            throw DomainException.invalid("'" + path + "' is both a file and a directory");
        }
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
            throw DomainException.invalid("unsafe path '" + name + "': absolute paths are refused");
        }
        StringBuilder path = new StringBuilder();
        for (String segment : name.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                throw DomainException.invalid("unsafe path '" + name + "': '..' is refused");
            }
            if (!SAFE_SEGMENT.matcher(segment).matches() || segment.length() > 255) {
                throw DomainException.invalid("unsafe path '" + name + "': only letters, digits, '.', '_', '+', '-'"
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
