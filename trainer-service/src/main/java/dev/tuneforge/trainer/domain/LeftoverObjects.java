package dev.tuneforge.trainer.domain;

import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.trainer.storage.Checkpoints;
import dev.tuneforge.trainer.storage.Jobs;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Deletes what attempts uploaded that no event or row will ever name. Every attempt uploads under its own prefix
 * first and publishes after, under its lease ({@code AttemptKeys}), so two kinds of upload are never published:
 * <ul>
 * <li>those an attempt is refused the publishing of (it lost its lease while it uploaded): the attempt itself deletes
 *     them at once ({@link #discard});</li>
 * <li>those of an attempt that died between the upload and the publishing (its instance was killed, its upload cut
 *     short): nobody is left to delete them, so once the job has ended ({@link JobState#isFinal()}: no attempt of it
 *     runs or will run) the job is swept ({@link #sweepEndedJobs}).</li>
 * </ul>
 * A swept job keeps exactly what was published: every checkpoint a {@code CheckpointSaved} named (the
 * {@code checkpoints} table; the gateway lists them) and, if it succeeded, the output of the attempt that finished
 * ({@code TrainingFinished}'s artifact and the trainer state uploaded beside it, {@code .../attempt-n/output/}). While
 * a job can still be resumed (running, queued, paused) nothing of it is deleted. The sweep is recorded
 * ({@code objects_swept_at}) after its deletions, so a sweep cut short is done again by whichever instance comes next.
 */
@ApplicationScoped
public class LeftoverObjects {

    private static final Logger LOG = Logger.getLogger(LeftoverObjects.class);
    /** Ended jobs swept per call; the rest wait for the next tick. */
    private static final int BATCH = 20;

    private final Jobs jobs;
    private final Checkpoints checkpoints;
    private final ObjectStore store;

    public LeftoverObjects(Jobs jobs, Checkpoints checkpoints, ObjectStore store) {
        this.jobs = jobs;
        this.checkpoints = checkpoints;
        this.store = store;
    }

    /** Deletes everything under {@code prefix}: an attempt uploaded it there and was refused its publishing. */
    public void discard(String prefix) {
        for (String key : objects(prefix)) {
            store.delete(key);
        }
    }

    /** Sweeps ended jobs that were not swept yet; returns how many were swept. */
    public int sweepEndedJobs() {
        List<Jobs.Unswept> ended = jobs.unswept(BATCH);
        for (Jobs.Unswept job : ended) {
            int deleted = sweep(job);
            if (deleted > 0) {
                LOG.infof("job %s: deleted %d object(s) that no event or row names (uploads of attempts that never "
                        + "published them)", job.jobId(), deleted);
            }
            jobs.swept(job.jobId());
        }
        return ended.size();
    }

    private int sweep(Jobs.Unswept job) {
        List<String> kept = new ArrayList<>();
        checkpoints.of(job.jobId()).forEach(c -> kept.add(c.objectKey()));
        if (job.artifactKey() != null) {
            kept.add(outputOf(job.artifactKey()));
        }
        int deleted = 0;
        for (String key : objects("projects/" + job.projectId() + "/jobs/" + job.jobId() + "/")) {
            if (kept.stream().noneMatch(key::startsWith)) {
                store.delete(key);
                deleted++;
            }
        }
        return deleted;
    }

    /**
     * {@code .../output/} of an artifact {@code .../output/adapter/}: the artifact and what was uploaded beside it; a key
     * of another form is kept as it is.
     */
    static String outputOf(String artifactKey) {
        int parent = artifactKey.lastIndexOf('/', artifactKey.length() - 2);
        return artifactKey.endsWith("/") && parent > 0 ? artifactKey.substring(0, parent + 1) : artifactKey;
    }

    /** The objects under {@code prefix}; a filesystem-backed S3 server also lists directories, which are no objects. */
    private List<String> objects(String prefix) {
        return store.list(prefix).stream().filter(key -> !key.endsWith("/")).toList();
    }
}
