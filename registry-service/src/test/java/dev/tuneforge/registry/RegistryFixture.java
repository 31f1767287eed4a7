package dev.tuneforge.registry;

import dev.tuneforge.events.CloudEventHeaders;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.events.EventType;
import dev.tuneforge.events.Topics;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.events.TuneforgeEvent;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.registry.storage.Lineage;

import org.apache.kafka.clients.producer.RecordMetadata;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.awaitility.Awaitility.await;

/** Puts upstream facts on the wire the way the other services do: uploads, dataset versions, finished jobs. */
final class RegistryFixture {

    static final Duration WAIT = Duration.ofSeconds(30);
    static final String PROJECT = "prj_reg";

    private final TopicClient topics;
    private final DirectorySync sync;
    private final Lineage lineage;

    RegistryFixture(TopicClient topics, DirectorySync sync, Lineage lineage) {
        this.topics = topics;
        this.sync = sync;
        this.lineage = lineage;
    }

    /** An upload and the version 1 it became; returns the version's content digest. */
    String readyDataset(String datasetId) {
        topics.publish(new DatasetUploaded(PROJECT, datasetId, "support-chats", "chat",
                uploadKey(datasetId), "up-sha", 1234, null, "tiny-llama", "key_uploader", "training", null), "gateway");
        String content = "content-" + datasetId;
        topics.publish(new DatasetReady(PROJECT, datasetId, 1, null, "chat", content,
                "projects/" + PROJECT + "/datasets/" + datasetId + "/v1/train.jsonl", "t-sha", 90,
                "projects/" + PROJECT + "/datasets/" + datasetId + "/v1/validation.jsonl", "v-sha", 10, 100, null,
                null, null), "dataset-service");
        await().atMost(WAIT).until(() -> !lineage.uploadsOf(datasetId, 1).isEmpty());
        return content;
    }

    static String uploadKey(String datasetId) {
        return "projects/" + PROJECT + "/uploads/" + datasetId + ".jsonl";
    }

    /**
     * A job of the model, requested by {@code key_alice}, finished with an adapter in S3 as the trainer uploads
     * it (files, then the manifest); returns its TrainingFinished, already published unless {@code publish} is false.
     */
    TrainingFinished finishedJob(String jobId, String model, String datasetId, Path work, boolean publish)
            throws IOException {
        topics.publish(new TrainingRequested(PROJECT, jobId, "tiny-llama", datasetId, 1, "lora",
                Map.of("epochs", 2, "lora_r", 8), model, "key_alice", null), "gateway");
        Path adapter = Files.createDirectories(work.resolve(jobId).resolve("adapter"));
        Files.writeString(adapter.resolve("adapter_config.json"), "{\"r\": 8, \"job\": \"" + jobId + "\"}");
        byte[] weights = new byte[64 * 1024];
        new Random(jobId.hashCode()).nextBytes(weights);
        Files.write(adapter.resolve("adapter_model.safetensors"), weights);
        String key = ObjectKeys.jobOutput(PROJECT, jobId, "adapter");
        String digest = sync.upload(adapter, key);
        await().atMost(WAIT).until(() -> lineage.job(jobId).map(j -> j.requestedBy() != null).orElse(false));
        TrainingFinished finished = new TrainingFinished(PROJECT, jobId, model, "tiny-llama", datasetId, 1, "lora", key,
                digest, 20, Map.of("train_loss", 0.4), null);
        if (publish) {
            topics.publish(finished, "trainer-service");
        }
        return finished;
    }

    /** The simple names of the model's events on {@code tuneforge.registry}, in topic order. */
    List<String> registryEvents(String model) {
        return topics.readAll(Topics.REGISTRY).stream()
                .filter(r -> model.equals(r.key()))
                .map(r -> EventType.byName(TopicClient.header(r, CloudEventHeaders.TYPE)).orElseThrow())
                .map(type -> type.recordClass().getSimpleName())
                .toList();
    }

    <T extends TuneforgeEvent> List<T> events(Class<T> type, String model) {
        return topics.events(type, model);
    }

    EventEnvelope publish(TuneforgeEvent event, String source) {
        return topics.publish(event, source);
    }

    /** Publishes the event and waits until the registry has consumed it. */
    EventEnvelope deliver(TuneforgeEvent event, String source) {
        EventEnvelope envelope = EventEnvelope.wrap(event, source);
        redeliver(envelope);
        return envelope;
    }

    /** Sends the very record again, same ce_id (what a redelivery looks like), and waits until it is consumed. */
    void redeliver(EventEnvelope envelope) {
        RecordMetadata sent = topics.send(TopicClient.toRecord(envelope));
        await().atMost(WAIT).until(() -> topics.consumed("registry-service", sent));
    }

    /** Waits until the model's registry events number {@code n}; then checks nothing more arrives soon after. */
    void awaitEvents(String model, int n) {
        await().atMost(WAIT).until(() -> registryEvents(model).size() >= n);
    }
}
