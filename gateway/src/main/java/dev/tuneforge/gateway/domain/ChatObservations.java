package dev.tuneforge.gateway.domain;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.gateway.config.ObservationsConfig;
import dev.tuneforge.gateway.openai.FineTunedModelName;
import dev.tuneforge.gateway.storage.JobReadModel;
import dev.tuneforge.gateway.storage.ModelReadModel;
import dev.tuneforge.gateway.storage.ProjectStore;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Records every chat completion the gateway serves as an observation ({@link Observation}, source {@code gateway}).
 * What holds:
 * <ul>
 * <li><b>A chat never waits for its recording, nor fails by it</b>: {@link #record} only appends to a buffer in
 *     memory (and never throws); a thread of its own writes the buffer as batches ({@link ObservationBatches}: a
 *     JSONL object per project, model and version, and {@code ObservationsReceived} through the outbox, in one
 *     transaction) once {@code flush-count} chats wait or every {@code flush-interval}.</li>
 * <li><b>A failed write is retried, not dropped</b>: the batch goes back to the buffer and is written at the next
 *     flush. The buffer holds at most {@code max-buffered} chats; while it is full (S3 or the database away for
 *     long) a new chat is not recorded, and the log says how many were not.</li>
 * <li><b>Shutdown writes the buffer</b> (one attempt). A crash (SIGKILL, power) loses what waits in the buffer: at
 *     most {@code flush-count} chats or {@code flush-interval} of traffic while S3 and the database answer. This is
 *     the bound the gateway gives for its own serving; observations that must not be lost are sent to the intake,
 *     which answers only once they are stored.</li>
 * </ul>
 * Which model and version served a chat is read from its {@link ChatTarget}: a version ({@code name:version}), a
 * job's result by its {@code ft:} name (its model and, once registered, version), or a base model (version null).
 */
@ApplicationScoped
public class ChatObservations {

    /** A chat as it was served: the request, and what the server answered as it came (whole or in chunks). */
    public static final class Transcript {
        private final String projectId;
        private final ChatTarget target;
        private final JsonNode request;
        private final Instant started = Instant.now();
        private final long startedNanos = System.nanoTime();
        private final StringBuilder completion = new StringBuilder();
        private String id;
        private Integer promptTokens;
        private Integer completionTokens;

        public Transcript(String projectId, ChatTarget target, JsonNode request) {
            this.projectId = projectId;
            this.target = target;
            this.request = request;
        }

        /** A whole completion ({@code chat.completion}). */
        public void answer(JsonNode completion) {
            take(completion, completion.path("choices").path(0).path("message").path("content"));
        }

        /** One chunk of a streamed completion ({@code chat.completion.chunk}). */
        public void chunk(JsonNode chunk) {
            take(chunk, chunk.path("choices").path(0).path("delta").path("content"));
        }

        private void take(JsonNode node, JsonNode content) {
            if (id == null && node.path("id").isTextual()) {
                id = node.path("id").textValue();
            }
            if (content.isTextual()) {
                completion.append(content.textValue());
            }
            JsonNode usage = node.path("usage");
            if (usage.path("prompt_tokens").canConvertToInt()) {
                promptTokens = usage.path("prompt_tokens").intValue();
            }
            if (usage.path("completion_tokens").canConvertToInt()) {
                completionTokens = usage.path("completion_tokens").intValue();
            }
        }
    }

    /**
     * A served chat waiting to be written; its observation names the model and version that served it once
     * {@code resolved} (at its first flush: the read model is not asked on the chat's thread).
     */
    private record Pending(String projectId, ChatTarget target, Observation observation, boolean resolved) {
    }

    private static final Logger LOG = Logger.getLogger(ChatObservations.class);
    private static final Pattern VERSION = Pattern.compile("(.+):([0-9]{1,9})");

    private final ObservationsConfig config;
    private final ObservationBatches batches;
    private final ProjectStore projects;
    private final ModelReadModel models;
    private final JobReadModel jobs;
    // Guarded by this.
    private final ArrayDeque<Pending> buffer = new ArrayDeque<>();
    private ScheduledExecutorService flusher;
    private boolean closed;
    private final AtomicBoolean flushQueued = new AtomicBoolean();
    private final AtomicLong notRecorded = new AtomicLong();

    public ChatObservations(ObservationsConfig config, ObservationBatches batches, ProjectStore projects,
                            ModelReadModel models, JobReadModel jobs) {
        this.config = config;
        this.batches = batches;
        this.projects = projects;
        this.models = models;
        this.jobs = jobs;
    }

    /** Buffers the chat of {@code transcript} (a successful one, completely answered); never throws. */
    public void record(Transcript transcript) {
        try {
            Observation observation = new Observation(
                    transcript.id != null ? transcript.id : "chatcmpl-" + UUID.randomUUID(), transcript.started,
                    transcript.target.resolved(), null, Observation.Source.GATEWAY, messages(transcript.request),
                    transcript.completion.toString(), (System.nanoTime() - transcript.startedNanos) / 1_000_000,
                    transcript.promptTokens, transcript.completionTokens);
            boolean flushNow;
            synchronized (this) {
                if (closed || buffer.size() >= config.maxBuffered()) {
                    long lost = notRecorded.incrementAndGet();
                    if (lost == 1 || lost % 1000 == 0) {
                        LOG.warnf("%d served chats not recorded as observations: %s", lost,
                                closed ? "the gateway is stopping" : "the buffer is full (max-buffered "
                                        + config.maxBuffered() + "; S3 or the database do not take the batches)");
                    }
                    return;
                }
                buffer.add(new Pending(transcript.projectId, transcript.target, observation, false));
                startFlusher();
                flushNow = buffer.size() >= config.flushCount();
            }
            if (flushNow && flushQueued.compareAndSet(false, true)) {
                flusher.execute(this::flush);
            }
        } catch (RuntimeException e) {
            LOG.warnf(e, "a served chat could not be recorded as an observation");
        }
    }

    /** How many chats wait to be written. */
    public synchronized int buffered() {
        return buffer.size();
    }

    private void startFlusher() {
        if (flusher == null) {
            flusher = Executors.newSingleThreadScheduledExecutor(task -> {
                Thread thread = new Thread(task, "observations-flush");
                thread.setDaemon(true);
                return thread;
            });
            long interval = config.flushInterval().toMillis();
            flusher.scheduleWithFixedDelay(this::flush, interval, interval, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Writes what waits, a batch per project and model; a batch that fails goes back to the buffer. Never throws: an
     * exception would end the scheduled flushes.
     */
    void flush() {
        flushQueued.set(false);
        List<Pending> taken;
        synchronized (this) {
            if (buffer.isEmpty()) {
                return;
            }
            taken = new ArrayList<>(buffer);
            buffer.clear();
        }
        Map<List<String>, List<Pending>> groups = new LinkedHashMap<>();
        for (Pending pending : taken) {
            Pending resolved = pending;
            try {
                resolved = resolved(pending);
            } catch (RuntimeException e) {
                // the read model is away: this one waits, unresolved, for the next flush
            }
            groups.computeIfAbsent(List.of(pending.projectId(), resolved.observation().model()),
                    k -> new ArrayList<>()).add(resolved);
        }
        groups.forEach((key, group) -> {
            try {
                if (group.stream().anyMatch(p -> !p.resolved())) {
                    throw new IllegalStateException("the read model could not say which model served them");
                }
                String project = key.get(0);
                boolean rawText = projects.observationsRawText(project).orElse(true);
                QuarkusTransaction.requiringNew().run(() -> batches.store(project, key.get(1),
                        group.stream().map(Pending::observation).toList(), rawText));
            } catch (RuntimeException e) {
                LOG.warnf("%d observations of %s/%s not written yet, retried at the next flush: %s", group.size(),
                        key.get(0), key.get(1), e.toString());
                synchronized (this) {
                    group.reversed().forEach(buffer::addFirst);
                }
            }
        });
    }

    /** The pending chat with the model and version that served it in its observation. */
    private Pending resolved(Pending pending) {
        if (pending.resolved()) {
            return pending;
        }
        Observation o = pending.observation();
        String model = pending.target().resolved();
        Integer version = null;
        Optional<FineTunedModelName> fineTuned = FineTunedModelName.parse(model);
        Matcher numbered = VERSION.matcher(model);
        if (fineTuned.isPresent()) {
            String project = pending.projectId();
            String job = fineTuned.get().jobId();
            model = jobs.find(project, job).map(JobView::modelName).orElse(model);
            version = models.versionOfJob(project, job).map(ModelVersionView::version).orElse(null);
        } else if (numbered.matches()) {
            model = numbered.group(1);
            version = Integer.parseInt(numbered.group(2));
        }
        return new Pending(pending.projectId(), pending.target(), new Observation(o.id(), o.time(), model, version,
                o.source(), o.messages(), o.completion(), o.latencyMs(), o.promptTokens(), o.completionTokens()), true);
    }

    /** The request's messages, each content as text (a list of parts: its text parts, joined). */
    private static List<Observation.Message> messages(JsonNode request) {
        List<Observation.Message> messages = new ArrayList<>();
        for (JsonNode message : request.path("messages")) {
            JsonNode content = message.path("content");
            String text;
            if (content.isTextual()) {
                text = content.textValue();
            } else {
                StringBuilder parts = new StringBuilder();
                content.forEach(part -> parts.append(part.path("text").asText("")));
                text = parts.toString();
            }
            messages.add(new Observation.Message(message.path("role").asText(""), text));
        }
        return messages;
    }

    void onStop(@Observes ShutdownEvent event) {
        ScheduledExecutorService running;
        synchronized (this) {
            closed = true;
            running = flusher;
        }
        if (running == null) {
            return;
        }
        running.shutdown();
        try {
            running.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flush();
        int left = buffered();
        if (left > 0) {
            LOG.warnf("%d served chats not recorded as observations: the gateway stops and they could not be written",
                    left);
        }
    }
}
