package dev.tuneforge.gateway.domain;

import dev.tuneforge.gateway.storage.ApiKeyStore;
import dev.tuneforge.gateway.storage.ProjectStore;
import dev.tuneforge.kit.db.Jdbc;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * At the first start (no key exists yet) creates the bootstrap project and its admin key, the platform
 * admin. The secret is logged once and, when {@code tuneforge.admin-key-file} is set, written to that
 * file (owner-only) so that {@code bin/tuneforge up} can show it. {@code tuneforge.admin-key} presets
 * the secret instead of generating one (a secret from a Kubernetes Secret, or a test's fixed key).
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
                          @ConfigProperty(name = "tuneforge.bootstrap-project") String bootstrapProject,
                          @ConfigProperty(name = "tuneforge.admin-key") Optional<String> presetKey,
                          @ConfigProperty(name = "tuneforge.admin-key-file") Optional<Path> keyFile) {
        this.jdbc = jdbc;
        this.keys = keys;
        this.projects = projects;
        this.apiKeys = apiKeys;
        this.bootstrapProject = bootstrapProject;
        this.presetKey = presetKey.filter(key -> !key.isBlank());
        this.keyFile = keyFile;
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
            projects.insert(bootstrapProject);
            return Optional.of(apiKeys.createFirst(bootstrapProject, Role.ADMIN, presetKey.orElse(null)));
        });
        created.ifPresent(this::announce);
    }

    private void announce(KeyView key) {
        if (presetKey.isEmpty()) {
            LOG.infof("created the admin API key %s of project '%s' (shown once, stored hashed): %s",
                    key.id(), key.projectId(), key.secret());
        } else {
            LOG.infof("created the admin API key %s of project '%s' from tuneforge.admin-key", key.id(), key.projectId());
        }
        keyFile.ifPresent(file -> {
            try {
                Files.createDirectories(file.toAbsolutePath().getParent());
                Files.deleteIfExists(file);
                Files.createFile(file);
                try {
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException e) {
                    // not a POSIX file system: the directory's permissions apply
                }
                Files.writeString(file, key.secret() + "\n");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the admin key to " + file, e);
            }
        });
    }
}
