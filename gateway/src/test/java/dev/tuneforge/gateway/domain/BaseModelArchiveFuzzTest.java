package dev.tuneforge.gateway.domain;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.apache.commons.compress.archivers.ArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.zip.UnixStat;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The archive reader of base-model uploads under a coverage-guided fuzzer (Jazzer). For any body: either the model
 * directory, unpacked inside its own temporary directory only (Jazzer's file-path-traversal detector fails the run on
 * any file touched elsewhere), as regular files that hold what their size and sha256 say, within the file and byte
 * bounds; or a 400 that says what is wrong without naming the server's temporary files. Never another exception
 * (a 500). One harness takes raw bytes (tar, tar.gz, zip or anything); the other writes real archives of fuzzed
 * entries (names with {@code ..}, absolute paths, links, devices, too many or too large files) and also checks that
 * what was accepted is what was written and that links are refused.
 *
 * <p>In the normal test run both replay their committed inputs (BaseModelArchiveFuzzTestInputs/); bench/fuzz.sh
 * fuzzes them.
 */
class BaseModelArchiveFuzzTest {

    private static final BaseModelArchive.Limits LIMITS = new BaseModelArchive.Limits(4, 4096);
    private static final String TEMP_PREFIX = "tuneforge-base-model-";
    private static final Path TEMP = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize();
    /** A temporary directory or file of the reader, as Files.createTempDirectory/createTempFile name them. */
    private static final Pattern TEMPORARY_DIRECTORY =
            Pattern.compile(Pattern.quote(TEMP + "/" + TEMP_PREFIX) + "-?[0-9]+");
    /** Letters, digits, '.', '_', '+', '-' and inner spaces; not "." or "..". */
    private static final String SAFE_SEGMENT = "(?!\\.{1,2}(/|$))[A-Za-z0-9._+-][A-Za-z0-9._+ -]*";
    /** Relative, '/'-separated safe segments. */
    private static final Pattern SAFE_PATH = Pattern.compile(SAFE_SEGMENT + "(/" + SAFE_SEGMENT + ")*");
    private static final String[] SEGMENTS = {"config.json", "model.safetensors", "tokenizer.json", "tiny", "a", "b",
            "..", ".", "", "x y", ".hidden", "-", "é", "a:b", "c:", "\\evil", "con fig"};

    enum Kind { FILE, DIRECTORY, SYMLINK, HARD_LINK, FIFO }

    enum Format { TAR, TAR_GZ, ZIP }

    record Entry(String name, Kind kind, byte[] content) {
        @Override
        public String toString() {
            StringBuilder escaped = new StringBuilder();
            name.chars().forEach(c -> escaped.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", c) : (char) c));
            return kind + " '" + escaped + "' (" + content.length + " bytes)";
        }
    }

    @FuzzTest
    void anyBodyUnpacksInsideItsDirectoryWithinItsBoundsOrIsRefusedClearly(byte[] body) {
        unpack(body);
    }

    @FuzzTest
    void anArchiveOfAnyEntriesIsReadAsWrittenOrRefused(FuzzedDataProvider data) throws IOException {
        Format format = data.pickValue(Format.values());
        List<Entry> entries = new ArrayList<>();
        int count = data.consumeInt(1, 6);
        for (int i = 0; i < count; i++) {
            Kind kind = format == Format.ZIP ? data.pickValue(List.of(Kind.FILE, Kind.DIRECTORY, Kind.SYMLINK))
                    : data.pickValue(Kind.values());
            String name = name(data);
            if (kind == Kind.FILE && (name.isEmpty() || name.endsWith("/"))) {
                name += "f";
            }
            byte[] content = kind == Kind.FILE ? data.consumeBytes(data.consumeInt(0, 2000)) : new byte[0];
            entries.add(new Entry(name, kind, content));
        }
        Unpacked unpacked = unpack(write(format, entries));

        boolean link = entries.stream().anyMatch(e -> e.kind() != Kind.FILE && e.kind() != Kind.DIRECTORY);
        boolean escapes = entries.stream().anyMatch(e -> e.name().startsWith("/")
                || Arrays.asList(e.name().split("[/\\\\]")).contains(".."));
        if (link || escapes) {
            assertTrue(unpacked.refused() != null, (link ? "a link or device" : "a path outside the directory")
                    + " was accepted: " + entries);
            return;
        }
        if (unpacked.refused() != null) {
            return;
        }
        List<Entry> files = entries.stream().filter(e -> e.kind() == Kind.FILE).toList();
        assertEquals(files.size(), unpacked.sha256().size(), "every file of the " + format + " is in the model, once: "
                + entries + " → " + unpacked.sha256());
        assertEquals(files.stream().map(e -> sha256(e.content())).sorted().toList(),
                unpacked.sha256().stream().sorted().toList(), "each file holds what was written");
    }

    /** What {@link #unpack} saw: the files' digests, or the refusal. */
    record Unpacked(List<String> sha256, DomainException refused) {
    }

    /** Unpacks and checks what holds for any body; returns what came out for the caller's own checks. */
    private static Unpacked unpack(byte[] body) {
        BaseModelArchive archive;
        try (SilentCloseable onlyItsOwnFiles = BugDetectors.setFilePathTraversalAllowPath(insideItsTemporaryFiles())) {
            archive = BaseModelArchive.unpack(new ByteArrayInputStream(body), LIMITS);
        } catch (DomainException refused) {
            assertTrue(Set.of(DomainException.Reason.INVALID, DomainException.Reason.MISSING)
                    .contains(refused.reason()), refused.reason() + ": a bad archive is a 400");
            String message = refused.getMessage();
            assertTrue(message != null && !message.isBlank(), "a refusal says why");
            Matcher directory = TEMPORARY_DIRECTORY.matcher(message);
            assertFalse(directory.find() && !mentions(body, directory.group()),
                    "a refusal names the upload's entries, not the server's files: " + message);
            return new Unpacked(List.of(), refused);
        }
        Path dir = archive.directory();
        try (archive) {
            assertFalse(archive.files().isEmpty(), "an accepted model has files");
            assertTrue(archive.files().size() <= LIMITS.maxFiles(), "at most maxFiles files");
            long total = 0;
            List<String> digests = new ArrayList<>();
            for (BaseModelArchive.File file : archive.files().values()) {
                assertTrue(SAFE_PATH.matcher(file.path()).matches(), "a safe relative path: '" + file.path() + "'");
                assertTrue(file.location().normalize().startsWith(dir), file.location() + " is outside " + dir);
                assertTrue(Files.isRegularFile(file.location(), LinkOption.NOFOLLOW_LINKS), file.location().toString());
                byte[] content = Files.readAllBytes(file.location());
                assertEquals(file.size(), content.length, file.path());
                assertEquals(sha256(content), file.sha256(), file.path());
                total += file.size();
                digests.add(file.sha256());
            }
            assertTrue(total <= LIMITS.maxBytes(), "unpacked " + total + " bytes, more than " + LIMITS.maxBytes());
            try (Stream<Path> written = Files.walk(dir)) {
                Set<Path> locations = Set.copyOf(archive.files().values().stream().map(BaseModelArchive.File::location)
                        .toList());
                written.filter(path -> !Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)).forEach(path ->
                        assertTrue(locations.contains(path), "written but not part of the model: " + path));
            }
            return new Unpacked(digests, null);
        } catch (IOException e) {
            return fail("cannot read what was unpacked", e);
        } finally {
            assertFalse(Files.exists(dir), "closing removes the directory");
        }
    }

    /** Whether the body, or what it inflates to, holds the text (a refusal may quote a name the upload gave). */
    private static boolean mentions(byte[] body, String text) {
        if (new String(body, StandardCharsets.ISO_8859_1).contains(text)) {
            return true;
        }
        try (InputStream inflated = new GZIPInputStream(new ByteArrayInputStream(body))) {
            return new String(inflated.readNBytes(1 << 20), StandardCharsets.ISO_8859_1).contains(text);
        } catch (IOException notGzip) {
            return false;
        }
    }

    /** The reader's own temporary directory and spool file (and the prefix they are made with) are all it may touch. */
    private static Predicate<Path> insideItsTemporaryFiles() {
        return path -> {
            if (!path.isAbsolute()) {
                return path.toString().equals(TEMP_PREFIX);
            }
            Path normal = path.normalize();
            return normal.startsWith(TEMP) && normal.getNameCount() > TEMP.getNameCount()
                    && normal.getName(TEMP.getNameCount()).toString().startsWith(TEMP_PREFIX);
        };
    }

    /**
     * Segments of names that matter (the model's files, "..", ".", empty, unsafe characters) or any ASCII but NUL,
     * which a tar header cannot hold (it ends the name there).
     */
    private static String name(FuzzedDataProvider data) {
        StringBuilder name = new StringBuilder(data.consumeBoolean() ? "/" : "");
        int segments = data.consumeInt(1, 4);
        for (int s = 0; s < segments; s++) {
            name.append(s > 0 ? "/" : "").append(data.consumeBoolean() ? data.pickValue(SEGMENTS)
                    : data.consumeAsciiString(8).replace('\0', '_'));
        }
        return name.toString();
    }

    private static byte[] write(Format format, List<Entry> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        OutputStream out = format == Format.TAR_GZ ? new GZIPOutputStream(bytes) : bytes;
        if (format == Format.ZIP) {
            try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(out)) {
                for (Entry entry : entries) {
                    boolean slash = entry.kind() == Kind.DIRECTORY && !entry.name().endsWith("/"); // marks a directory
                    ZipArchiveEntry header = new ZipArchiveEntry(slash ? entry.name() + "/" : entry.name());
                    byte[] content = entry.content();
                    if (entry.kind() == Kind.SYMLINK) {
                        header.setUnixMode(UnixStat.LINK_FLAG | 0777);
                        content = "../../etc/passwd".getBytes(StandardCharsets.UTF_8);
                    }
                    put(zip, header, content);
                }
            }
        } else {
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                tar.setAddPaxHeadersForNonAsciiNames(true);
                for (Entry entry : entries) {
                    TarArchiveEntry header = new TarArchiveEntry(entry.name(), switch (entry.kind()) {
                        case FILE -> TarConstants.LF_NORMAL;
                        case DIRECTORY -> TarConstants.LF_DIR;
                        case SYMLINK -> TarConstants.LF_SYMLINK;
                        case HARD_LINK -> TarConstants.LF_LINK;
                        case FIFO -> TarConstants.LF_FIFO;
                    }, true);
                    if (entry.kind() == Kind.SYMLINK || entry.kind() == Kind.HARD_LINK) {
                        header.setLinkName("../../etc/passwd");
                    }
                    header.setSize(entry.content().length);
                    put(tar, header, entry.content());
                }
            }
        }
        return bytes.toByteArray();
    }

    private static <E extends org.apache.commons.compress.archivers.ArchiveEntry> void put(
            ArchiveOutputStream<E> archive, E header, byte[] content) throws IOException {
        archive.putArchiveEntry(header);
        archive.write(content);
        archive.closeArchiveEntry();
    }

    private static String sha256(byte[] content) {
        return HexFormat.of().formatHex(BaseModelArchive.sha256().digest(content));
    }
}
