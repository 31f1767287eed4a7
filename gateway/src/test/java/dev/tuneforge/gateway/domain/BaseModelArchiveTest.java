package dev.tuneforge.gateway.domain;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.zip.UnixStat;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The archive reader on what its fuzzer (BaseModelArchiveFuzzTest) found. Not a QuarkusTest: BaseModelsApiTest shows
 * the same refusals over HTTP.
 */
class BaseModelArchiveTest {

    private static final BaseModelArchive.Limits LIMITS = new BaseModelArchive.Limits(16, 1 << 20);
    private static final byte[] CONFIG = "{\"model_type\":\"llama\"}".getBytes(StandardCharsets.UTF_8);

    /** Found by fuzzing: tar links and devices passed as regular files (commons-compress's isFile() says so). */
    @Test
    void linksAndDevicesInATarAreRefusedNotUnpackedAsEmptyFiles() throws IOException {
        for (byte type : new byte[] {TarConstants.LF_SYMLINK, TarConstants.LF_LINK, TarConstants.LF_FIFO,
                TarConstants.LF_CHR, TarConstants.LF_BLK}) {
            TarArchiveEntry link = new TarArchiveEntry("model.safetensors", type);
            link.setLinkName("../../etc/passwd");
            DomainException refused = refused(tarOfConfigAnd(link, new byte[0]));
            assertTrue(refused.getMessage().contains("'model.safetensors' is not a regular file or directory"),
                    (char) type + ": " + refused.getMessage());
        }
    }

    /**
     * Found by fuzzing: a zip read as a stream never sees an entry's Unix mode (it is in the central directory, at the
     * end), so a symbolic link was unpacked as a file holding its target's path.
     */
    @Test
    void aSymbolicLinkInAZipIsRefused() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
            zip.putArchiveEntry(new ZipArchiveEntry("config.json"));
            zip.write(CONFIG);
            zip.closeArchiveEntry();
            ZipArchiveEntry link = new ZipArchiveEntry("model.safetensors");
            link.setUnixMode(UnixStat.LINK_FLAG | 0777);
            zip.putArchiveEntry(link);
            zip.write("../../etc/passwd".getBytes(StandardCharsets.UTF_8));
            zip.closeArchiveEntry();
        }
        assertEquals("the archive entry 'model.safetensors' is a symbolic link (refused)",
                refused(bytes.toByteArray()).getMessage());
    }

    /** Found by fuzzing: a file entry whose name is empty once "." is dropped (or NUL-ended) was silently skipped. */
    @Test
    void aFileWithoutANameIsRefusedNotDropped() throws IOException {
        for (String name : new String[] {".", "./.", "\u0000config.json"}) {
            byte[] body = tarOfConfigAnd(new TarArchiveEntry(name, TarConstants.LF_NORMAL, true), new byte[] {1, 2, 3});
            assertTrue(refused(body).getMessage().startsWith("a file without a name"), name);
        }
    }

    /**
     * Found by fuzzing the zip reading of {@link #aSymbolicLinkInAZipIsRefused}: a zip that cannot be opened was
     * refused with commons-compress's message, which names the temporary file the upload was spooled to.
     */
    @Test
    void anUnreadableZipIsRefusedWithoutNamingTheServersFiles() throws IOException {
        byte[] body;
        try (InputStream found = getClass().getResourceAsStream("BaseModelArchiveFuzzTestInputs/anyBodyUnpacksInside"
                + "ItsDirectoryWithinItsBoundsOrIsRefusedClearly/crash-zip-error-names-spooled-file")) {
            body = found.readAllBytes();
        }
        String message = refused(body).getMessage();
        assertTrue(message.startsWith("the body is not a readable .tar, .tar.gz or .zip archive: "), message);
        assertFalse(message.contains(System.getProperty("java.io.tmpdir")) || message.contains("tuneforge-base-model-"),
                message);
    }

    /**
     * Found by fuzzing: a file and a directory of one name ("config.json" and "config.json/x", in either order) failed
     * on the file system, and the refusal named the server's temporary directory instead of the entry.
     */
    @Test
    void aFileAndADirectoryOfOneNameAreRefusedByName() throws IOException {
        for (List<String> names : List.of(List.of("tiny/config.json", "tiny/config.json/x"),
                List.of("tiny/config.json/x", "tiny/config.json"))) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
                for (String name : names) {
                    TarArchiveEntry file = new TarArchiveEntry(name);
                    file.setSize(CONFIG.length);
                    tar.putArchiveEntry(file);
                    tar.write(CONFIG);
                    tar.closeArchiveEntry();
                }
            }
            assertEquals("'tiny/config.json' is both a file and a directory", refused(bytes.toByteArray()).getMessage(),
                    names.toString());
        }
    }

    /**
     * Reading a zip from its central directory (to see its links) must not read a central directory of any size into
     * memory: a zip of a few hundred KB listing thousands of entries is refused before.
     */
    @Test
    void aZipListingFarMoreEntriesThanAModelHasIsRefusedBeforeItsDirectoryIsRead() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
            for (int i = 0; i < 5000; i++) {
                zip.putArchiveEntry(new ZipArchiveEntry("d" + i + "/"));
                zip.closeArchiveEntry();
            }
            zip.putArchiveEntry(new ZipArchiveEntry("config.json"));
            zip.write(CONFIG);
            zip.closeArchiveEntry();
        }
        assertEquals("the body is not a readable .tar, .tar.gz or .zip archive: the zip lists far more entries than a"
                + " model directory of at most 16 files has", refused(bytes.toByteArray()).getMessage());
    }

    @Test
    void aZipOfAModelDirectoryIsUnpackedWithoutItsTopDirectory() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
            zip.putArchiveEntry(new ZipArchiveEntry("tiny/"));
            zip.closeArchiveEntry();
            for (Map.Entry<String, byte[]> file : Map.of("tiny/config.json", CONFIG, "tiny/tokenizer.json",
                    "{}".getBytes(StandardCharsets.UTF_8)).entrySet()) {
                zip.putArchiveEntry(new ZipArchiveEntry(file.getKey()));
                zip.write(file.getValue());
                zip.closeArchiveEntry();
            }
        }
        try (BaseModelArchive model = BaseModelArchive.unpack(new ByteArrayInputStream(bytes.toByteArray()), LIMITS)) {
            assertEquals(List.of("config.json", "tokenizer.json"), List.copyOf(model.files().keySet()));
            assertEquals(CONFIG.length, model.files().get("config.json").size());
        }
    }

    /** A tar of config.json, then {@code entry} holding {@code content}. */
    private static byte[] tarOfConfigAnd(TarArchiveEntry entry, byte[] content) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            for (Map.Entry<TarArchiveEntry, byte[]> file : List.of(
                    Map.entry(new TarArchiveEntry("config.json"), CONFIG), Map.entry(entry, content))) {
                file.getKey().setSize(file.getValue().length);
                tar.putArchiveEntry(file.getKey());
                tar.write(file.getValue());
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static DomainException refused(byte[] body) {
        DomainException refused = assertThrows(DomainException.class,
                () -> BaseModelArchive.unpack(new ByteArrayInputStream(body), LIMITS).close());
        assertTrue(Set.of(DomainException.Reason.INVALID, DomainException.Reason.MISSING)
                .contains(refused.reason()), refused.reason() + ": a bad archive is a 400");
        return refused;
    }
}
