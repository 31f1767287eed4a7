package dev.tuneforge.gateway.domain;

import dev.tuneforge.gateway.config.GatewayConfig;
import dev.tuneforge.gateway.storage.ArtifactStore;
import dev.tuneforge.gateway.storage.ArtifactStore.ArtifactFile;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

/**
 * A model version's artifact directory in S3 ({@code ModelRegistered.artifactKey}: the adapter or full model
 * with its {@code manifest.json}), as one tar streamed through the gateway or as presigned URLs per file.
 */
@ApplicationScoped
public class ModelArtifacts {

    private final ArtifactStore store;
    private final Duration presignExpiry;

    public ModelArtifacts(ArtifactStore store, GatewayConfig config) {
        this.store = store;
        this.presignExpiry = config.artifacts().presignExpiry();
    }

    /** The files of a version's artifact; 404 when it has none (or its key is not under the project). */
    public List<ArtifactFile> files(String projectId, ModelVersionView version) {
        String key = version.artifactKey();
        if (key == null || !key.startsWith("projects/" + projectId + "/")) {
            throw DomainException.notFound("model '" + version.name() + "' version " + version.version()
                    + " has no artifact");
        }
        String prefix = key.endsWith("/") ? key : key + "/";
        List<ArtifactFile> files = store.list(prefix);
        if (files.isEmpty()) {
            throw DomainException.notFound("the artifact of model '" + version.name() + "' version " + version.version()
                    + " is not in the object store (" + prefix + ")");
        }
        return files;
    }

    /** Writes the files as a tar, each under {@code <top>/}. */
    public void tar(List<ArtifactFile> files, String top, OutputStream out) throws IOException {
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (ArtifactFile file : files) {
                TarArchiveEntry entry = new TarArchiveEntry(top + "/" + file.path());
                entry.setSize(file.size());
                tar.putArchiveEntry(entry);
                try (InputStream in = store.get(file.key())) {
                    in.transferTo(tar);
                }
                tar.closeArchiveEntry();
            }
            tar.finish();
        }
    }

    /** One presigned GET URL per file, valid for {@code tuneforge.artifacts.presign-expiry}. */
    public PresignedArtifact presigned(ModelVersionView version, List<ArtifactFile> files) {
        OffsetDateTime expires = OffsetDateTime.now(ZoneOffset.UTC).plus(presignExpiry);
        return new PresignedArtifact(version.name(), version.version(), version.artifactKey(),
                version.artifactSha256(), expires, files.stream()
                .map(f -> new PresignedArtifact.File(f.path(), f.size(), store.presignedGet(f.key(), presignExpiry)))
                .toList());
    }
}
