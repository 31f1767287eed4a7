package dev.tuneforge.gateway.domain;

import dev.tuneforge.gateway.config.GatewayConfig;
import dev.tuneforge.gateway.storage.ApiKeyStore;
import dev.tuneforge.gateway.storage.ProjectStore;
import dev.tuneforge.kit.db.Jdbc;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * At the first start (no key exists yet) creates the bootstrap project and its admin key, the platform
 * admin. A generated secret goes to {@code tuneforge.admin-key-file} only (owner-only), where
 * {@code bin/tuneforge up} reads it to show it once; {@code tuneforge.admin-key} presets the secret instead (a
 * secret from a Kubernetes Secret, or a test's fixed key). The secret is never logged: a log is kept, shipped
 * and read by people who must not administer the platform. So a first start with neither setting is refused
 * before anything is created, and the file is written in the transaction that creates the key: a key is
 * created only if its secret reached someone.
 */
@ApplicationScoped
public class AdminBootstrap {

    private static final Logger LOG = Logger.getLogger(AdminBootstrap.class);
    /** Two replicas starting at once must not both create a first key. */
    private static final long BOOTSTRAP_LOCK = 0x7466_6b65_7973L;

    private final Jdbc jdbc;
    private final ApiKeyStore keys;
    private final ProjectStore projects;
    private final ApiKeys apiKeys;
    private final String bootstrapProject;
    private final Optional<String> presetKey;
    private final Optional<Path> keyFile;

    public AdminBootstrap(Jdbc jdbc, ApiKeyStore keys, ProjectStore projects, ApiKeys apiKeys,
                          GatewayConfig config) {
        this.jdbc = jdbc;
        this.keys = keys;
        this.projects = projects;
        this.apiKeys = apiKeys;
        this.bootstrapProject = config.bootstrapProject();
        this.presetKey = config.adminKey().filter(key -> !key.isBlank());
        this.keyFile = config.adminKeyFile();
    }

    void onStart(@Observes StartupEvent start) {
        if (presetKey.isPresent() && !presetKey.get().startsWith(ApiKeys.PREFIX)) {
            throw new IllegalStateException("tuneforge.admin-key must start with '" + ApiKeys.PREFIX + "'");
        }
        Optional<KeyView> created = QuarkusTransaction.requiringNew().call(() -> {
            jdbc.queryOne("SELECT pg_advisory_xact_lock(?)", row -> 1, BOOTSTRAP_LOCK);
            if (keys.count() > 0) {
                return Optional.empty();
            }
            if (presetKey.isEmpty() && keyFile.isEmpty()) {
                throw new IllegalStateException("the first start creates the platform admin key, and its secret has"
                        + " nowhere to go: set tuneforge.admin-key-file (a file only this user may read; bin/tuneforge"
                        + " up does) or tuneforge.admin-key (the secret itself, e.g. from a Kubernetes Secret). The"
                        + " gateway never logs a secret.");
            }
            projects.insert(bootstrapProject);
            KeyView key = apiKeys.createFirst(bootstrapProject, Role.ADMIN, presetKey.orElse(null));
            keyFile.ifPresent(file -> write(file, key.secret()));
            return Optional.of(key);
        });
        created.ifPresent(key -> LOG.infof("created the admin API key %s of project '%s' (stored hashed), %s",
                key.id(), key.projectId(), presetKey.isPresent() ? "its secret from tuneforge.admin-key"
                        : "its secret written to " + keyFile.orElseThrow()));
    }

    private static void write(Path file, String secret) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.deleteIfExists(file);
            try {
                // Owner-only from the start: no moment when others may read it.
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(file); // not a POSIX file system: the directory's permissions apply
            }
            Files.writeString(file, secret + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the admin key to " + file, e);
        }
    }
}
