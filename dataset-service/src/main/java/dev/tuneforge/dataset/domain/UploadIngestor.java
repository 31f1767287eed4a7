package dev.tuneforge.dataset.domain;

import dev.tuneforge.dataset.domain.DatasetVersion.StoredFile;
import dev.tuneforge.dataset.storage.DatasetVersions;
import dev.tuneforge.dataset.storage.PendingDeleteSweeper;
import dev.tuneforge.dataset.storage.PendingDeletes.Reason;
import dev.tuneforge.dataset.tokens.BaseModelTokenizers;
import dev.tuneforge.dataset.tokens.ModelTokenizer;
import dev.tuneforge.dataset.validation.DatasetFormat;
import dev.tuneforge.dataset.validation.DatasetValidator;
import dev.tuneforge.dataset.validation.ExampleHash;
import dev.tuneforge.dataset.validation.LongHashSet;
import dev.tuneforge.dataset.validation.TextNormalizer;
import dev.tuneforge.dataset.validation.Verdict;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.DatasetRejected;
import dev.tuneforge.events.DatasetReport;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.kit.messaging.Outbox;
import dev.tuneforge.kit.naming.Names;
import dev.tuneforge.kit.storage.ObjectStore;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Turns an upload into a dataset version, all or nothing:
 * <ol>
 * <li>names that break the shared rule ({@link Names}: the base model, a new dataset's name) reject it at once;</li>
 * <li>validate the upload in one streaming pass, spooling the normalised examples split into train and
 *     validation (on append, the parent's files come first and its examples are not counted as new);</li>
 * <li>rejected: delete the upload and emit {@link DatasetRejected} with the report; no row, no object;</li>
 * <li>content already a version of this dataset: announce that version again (same id, same files);</li>
 * <li>otherwise write the files, then record the version and emit {@link DatasetReady} in one transaction.</li>
 * </ol>
 * Files are written before the transaction commits, to keys that depend only on the version number
 * and content, so a crash and redelivery rewrite the same objects. Objects to delete (a rejected upload, an upload
 * whose content is already a version) are recorded in the same transaction and deleted once it commits
 * ({@link PendingDeleteSweeper}), retried until S3 confirms.
 */
@ApplicationScoped
public class UploadIngestor {

    /**
     * What a dataset is for: training (the default), an evaluation set (its prompts are kept out of every training
     * set of the project), or a review set — a pipeline's export of a drifted window's prompts with the served answers
     * as drafts for people to correct — stored like a training set.
     */
    static final List<String> PURPOSES = List.of(DatasetUploaded.TRAINING, DatasetUploaded.EVALUATION, "review");

    private final ObjectStore objects;
    private final DatasetVersions versions;
    private final Outbox outbox;
    private final BaseModelTokenizers tokenizers;
    private final PendingDeleteSweeper deletes;
    private final DatasetValidator.Limits limits;
    private final String defaultBaseModel;
    private final double validationFraction;

    public UploadIngestor(ObjectStore objects, DatasetVersions versions, Outbox outbox, BaseModelTokenizers tokenizers,
                          PendingDeleteSweeper deletes,
                          @ConfigProperty(name = "tuneforge.datasets.default-base-model", defaultValue = "tiny-llama")
                          String defaultBaseModel,
                          @ConfigProperty(name = "tuneforge.datasets.validation-fraction", defaultValue = "0.1")
                          double validationFraction,
                          @ConfigProperty(name = "tuneforge.datasets.max-line-bytes", defaultValue = "4194304")
                          int maxLineBytes,
                          @ConfigProperty(name = "tuneforge.datasets.max-json-depth", defaultValue = "32") int maxDepth,
                          @ConfigProperty(name = "tuneforge.datasets.context-window", defaultValue = "4096")
                          int contextWindow,
                          @ConfigProperty(name = "tuneforge.datasets.near-duplicate-threshold", defaultValue = "0.9")
                          double nearDuplicateThreshold,
                          @ConfigProperty(name = "tuneforge.datasets.near-duplicate-capacity", defaultValue = "100000")
                          int nearDuplicateCapacity,
                          @ConfigProperty(name = "tuneforge.datasets.max-examples", defaultValue = "2000000")
                          long maxExamples) {
        this.objects = objects;
        this.versions = versions;
        this.outbox = outbox;
        this.tokenizers = tokenizers;
        this.deletes = deletes;
        this.defaultBaseModel = defaultBaseModel;
        this.validationFraction = validationFraction;
        this.limits = new DatasetValidator.Limits(maxLineBytes, maxDepth, contextWindow, nearDuplicateThreshold,
                nearDuplicateCapacity, maxExamples);
    }

    public void ingest(DatasetUploaded upload) {
        Optional<String> badName = nameProblem(upload);
        if (badName.isPresent()) {
            reject(upload, badName.get(), null);
            return;
        }
        Optional<DatasetVersion> parent = Optional.empty();
        if (upload.appendTo() != null) {
            parent = versions.find(upload.datasetId(), upload.appendTo());
            if (parent.isEmpty()) {
                reject(upload, "append_to: dataset " + upload.datasetId() + " has no version " + upload.appendTo(),
                        null);
                return;
            }
        }
        Optional<String> format = parent.map(DatasetVersion::format)
                .or(() -> versions.format(upload.datasetId()))
                .or(() -> Optional.ofNullable(upload.format()));
        DatasetFormat declared = null;
        if (format.isPresent()) {
            declared = DatasetFormat.byId(format.get()).orElse(null);
            if (declared == null) {
                reject(upload, "format: '" + format.get() + "' is none of chat, alpaca, completion, preference", null);
                return;
            }
        }
        if (upload.purpose() != null && !PURPOSES.contains(upload.purpose())) {
            reject(upload, "purpose: '" + upload.purpose() + "' is none of " + String.join(", ", PURPOSES), null);
            return;
        }
        Path spool = null;
        try {
            spool = Files.createTempDirectory("tuneforge-dataset-");
            ingest(upload, parent, declared, spool);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot spool dataset " + upload.datasetId(), e);
        } finally {
            deleteRecursively(spool);
        }
    }

    /**
     * The names of an upload, by the rule the gateway checks them with ({@link Names}), for an upload that did not
     * come through that check (an older event, another producer): the base model is looked up in S3 by name, where
     * '..' or a '/' would be refused by the client on every retry and dead-letter the upload; a new dataset's name
     * is stored and shown. The name of an existing dataset was taken when it was created and is not judged again.
     */
    private Optional<String> nameProblem(DatasetUploaded upload) {
        if (upload.baseModel() != null) {
            Optional<String> problem = Names.nameProblem("base_model", upload.baseModel());
            if (problem.isPresent()) {
                return problem;
            }
        }
        if (upload.name() != null && versions.purpose(upload.datasetId()).isEmpty()) {
            return Names.labelProblem("name", upload.name());
        }
        return Optional.empty();
    }

    /**
     * A validator for the base model's context that keeps no more examples than the dataset may still take: what the
     * split holds already (the version this adds to, the upload's training examples) counts.
     */
    private DatasetValidator validator(Optional<ModelTokenizer> tokenizer, SplitWriter split) {
        return new DatasetValidator(tokenizer.map(ModelTokenizer::contextWindow).map(limits::withContextWindow)
                .orElse(limits).withMaxExamples(limits.maxExamples() - split.size()));
    }

    private void ingest(DatasetUploaded upload, Optional<DatasetVersion> parent, DatasetFormat declared, Path spool)
            throws IOException {
        String baseModel = upload.baseModel() == null ? defaultBaseModel : upload.baseModel();
        Optional<ModelTokenizer> tokenizer = tokenizers.forModel(baseModel);
        DatasetReport report;
        String validationFile = upload.validationObjectKey();
        // With the user's own validation file, everything uploaded is for training.
        try (SplitWriter split = new SplitWriter(spool, validationFile == null ? validationFraction : 0)) {
            if (parent.isPresent()) {
                copy(parent.get().train(), split, false);
                copy(parent.get().validation(), split, true);
            }
            DatasetValidator validator = validator(tokenizer, split);
            String purpose = versions.purpose(upload.datasetId())
                    .orElse(upload.purpose() == null ? DatasetUploaded.TRAINING : upload.purpose());
            boolean evaluationSet = purpose.equals(DatasetUploaded.EVALUATION);
            // An evaluation set records its prompts; a training set leaves out every recorded prompt.
            LongHashSet prompts = evaluationSet ? new LongHashSet() : versions.evaluationPrompts(upload.projectId());
            try (InputStream content = objects.get(upload.objectKey())) {
                report = validator.validate(content, declared, tokenizer.orElse(null), evaluationSet ? null : prompts,
                        (example, json, hash) -> {
                            if (evaluationSet) {
                                prompts.add(ExampleHash.of(TextNormalizer.normalizePrompt(example)));
                            }
                            split.add(json, hash);
                        });
            }
            if (validationFile != null) {
                DatasetValidator ownValidation = validator(tokenizer, split);
                report = withValidationFile(report, validateOwnValidationFile(ownValidation, validationFile,
                        DatasetFormat.byId(report.format()).orElse(declared), split));
            }
            if (tokenizer.isEmpty()) {
                report = withWarning(report, new DatasetReport.Finding("tokenizer_unavailable",
                        "base model '" + baseModel + "' has no tokenizer in the catalogue: tokens not counted", 1,
                        List.of()));
            }
            split.finish();
            if (!Verdict.accepted(report)) {
                reject(upload, Verdict.summary(report), report);
                return;
            }
            Optional<DatasetVersion> same = versions.findByContent(upload.datasetId(), split.contentSha256());
            if (same.isPresent()) {
                if (!same.get().uploadKey().equals(upload.objectKey())) {
                    // the version keeps its own upload for lineage
                    deleteAfterCommit(upload.objectKey(), Reason.ALREADY_A_VERSION);
                }
                deleteAfterCommit(upload.validationObjectKey(), Reason.ALREADY_A_VERSION);
                outbox.publish(ready(same.get()));
                return;
            }
            int version = versions.nextVersion(upload.datasetId());
            String prefix = DatasetLayout.versionPrefix(upload.projectId(), upload.datasetId(), version);
            StoredFile train = store(prefix + "train.jsonl", split.train());
            StoredFile validation = store(prefix + "validation.jsonl", split.validation());
            objects.put(prefix + "report.json", EventCodec.mapper().writeValueAsBytes(report), "application/json");
            DatasetVersion created = new DatasetVersion(upload.projectId(), upload.datasetId(), version,
                    parent.map(DatasetVersion::version).orElse(null), report.format(), split.contentSha256(),
                    upload.objectKey(), upload.sha256(), train, validation, split.newExamples(), report);
            versions.insert(upload.name(), purpose, created);
            if (evaluationSet) {
                versions.registerEvaluationPrompts(upload.projectId(), upload.datasetId(), prompts);
            }
            outbox.publish(ready(created));
        }
    }

    private DatasetReport validateOwnValidationFile(DatasetValidator validator, String key, DatasetFormat format,
                                                    SplitWriter split) throws IOException {
        List<Long> leaked = new ArrayList<>();
        DatasetReport report;
        try (InputStream content = objects.get(key)) {
            report = validator.validate(content, format, null, (example, json, hash) -> {
                if (!split.addValidation(json, hash)) {
                    leaked.add(example.line());
                }
            });
        }
        if (leaked.isEmpty()) {
            return report;
        }
        DatasetReport withLeaks = withWarning(report, new DatasetReport.Finding("in_training_data",
                "validation example is also in the training data (removed from validation)", leaked.size(),
                leaked.subList(0, Math.min(5, leaked.size()))));
        return new DatasetReport(withLeaks.format(), withLeaks.lines(), withLeaks.examples() - leaked.size(),
                withLeaks.errors(), withLeaks.warnings(), withLeaks.tokens(), withLeaks.billedTokens(), null);
    }

    private static DatasetReport withWarning(DatasetReport report, DatasetReport.Finding warning) {
        List<DatasetReport.Finding> warnings = new ArrayList<>(report.warnings());
        warnings.add(warning);
        return new DatasetReport(report.format(), report.lines(), report.examples(), report.errors(),
                List.copyOf(warnings), report.tokens(), report.billedTokens(), report.validationFile());
    }

    private static DatasetReport withValidationFile(DatasetReport report, DatasetReport validationFile) {
        return new DatasetReport(report.format(), report.lines(), report.examples(), report.errors(), report.warnings(),
                report.tokens(), report.billedTokens(), validationFile);
    }

    private void copy(StoredFile file, SplitWriter split, boolean validationSide) throws IOException {
        try (InputStream in = objects.get(file.key())) {
            split.copyParent(in, validationSide);
        }
    }

    private StoredFile store(String key, SplitWriter.Side side) throws IOException {
        try (InputStream in = Files.newInputStream(side.file())) {
            objects.put(key, in, Files.size(side.file()), "application/jsonl");
        }
        return new StoredFile(key, side.sha256(), side.examples());
    }

    /** Nothing of a rejected upload is kept: the report travels in the event. */
    private void reject(DatasetUploaded upload, String reason, DatasetReport report) {
        deleteAfterCommit(upload.objectKey(), Reason.REJECTED_UPLOAD);
        deleteAfterCommit(upload.validationObjectKey(), Reason.REJECTED_UPLOAD);
        long errors = report == null ? 1 : Verdict.errorCount(report);
        outbox.publish(new DatasetRejected(upload.projectId(), upload.datasetId(), reason, errors, null, report));
    }

    /**
     * Only once the outcome is committed (a rolled-back attempt is retried and needs the object), and surely then:
     * recorded with the outcome, deleted by the sweeper however long S3 is away ({@link PendingDeleteSweeper}).
     */
    private void deleteAfterCommit(String key, Reason reason) {
        if (key != null) {
            deletes.deleteAfterCommit(key, reason);
        }
    }

    private static DatasetReady ready(DatasetVersion v) {
        return new DatasetReady(v.projectId(), v.datasetId(), v.version(), v.parentVersion(), v.format(),
                v.contentSha256(), v.train().key(), v.train().sha256(), v.train().examples(), v.validation().key(),
                v.validation().sha256(), v.validation().examples(), v.newExamples(), v.report().tokens(),
                DatasetLayout.versionPrefix(v.projectId(), v.datasetId(), v.version()) + "report.json", v.report());
    }

    private static void deleteRecursively(Path directory) {
        if (directory == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException ignored) {
            // temp files; the OS reclaims them
        }
    }
}
