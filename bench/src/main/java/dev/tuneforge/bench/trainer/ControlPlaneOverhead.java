package dev.tuneforge.bench.trainer;

import dev.tuneforge.bench.Timing;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.events.TokenStats;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.launcher.WorkerCommand;
import dev.tuneforge.platform.EmbeddedStack;
import dev.tuneforge.platform.Ports;
import dev.tuneforge.platform.ServiceProcess;
import dev.tuneforge.platform.ServiceProcess.Service;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What trainer-service adds to a training job (issue #6): request → worker started, and finished → event
 * out. One embedded stack, one trainer-service process from its jar, N tiny LoRA jobs one after another
 * through {@code TrainingRequested}; the baseline, in the same program and interleaved with the jobs, is the
 * same worker started directly N times with the spec.json trainer-service wrote for a warm-up job.
 *
 * <p>Every instant is read from this machine's wall clock (CLOCK_REALTIME), by different readers: this JVM
 * ({@link Instant#now()}: the request's {@code ce_time}, the bare worker's lines), trainer-service's JVM
 * (the {@code ce_time} of its events; the Kafka record timestamp set by its outbox relay's producer, in ms),
 * PostgreSQL's {@code now()} (transaction start: {@code tf_inbox.received_at}, {@code attempts.started_at},
 * {@code tf_outbox.sent_at}) and file modification times (the kernel's coarse clock, a few ms).
 *
 * <p>Usage: {@code ControlPlaneOverhead [jobs [key=value ...]]} with {@code -Dtuneforge.repo=<repository root>};
 * the key=value pairs go to trainer-service as system properties.
 */
public final class ControlPlaneOverhead {

    private static final String PROJECT = "prj_bench";
    private static final String DATASET = "ds_bench";
    private static final String BASE_MODEL = "tiny-bench";
    private static final Map<String, Object> RECIPE = Map.of("max_steps", 2, "batch_size", 2, "lora_r", 2,
            "save_steps", 1000);
    private static final Duration JOB_TIMEOUT = Duration.ofMinutes(5);
    private static final String STARTED = "dev.tuneforge.training.started.v1";
    private static final String FINISHED = "dev.tuneforge.training.finished.v1";

    /** One job through trainer-service, every instant on its path. */
    record Job(String id, Instant requested, Instant consumed, Instant claimed, Instant specWritten,
               Instant startedEmitted, Instant startedOnKafka, Instant stateWritten, Instant finishedEmitted,
               Instant finishedRelayPickup, Instant finishedOnKafka, Instant finishedSeen) { }

    private ControlPlaneOverhead() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        // Further arguments: key=value properties for trainer-service, to measure a setting (e.g. a shorter tick).
        Map<String, String> trainerProperties = new java.util.LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            trainerProperties.put(kv[0], kv[1]);
        }
        Path repo = Path.of(System.getProperty("tuneforge.repo", ".")).toAbsolutePath().normalize();
        Path work = Files.createTempDirectory("tuneforge-cp-bench-");
        String loadBefore = Files.readString(Path.of("/proc/loadavg")).strip();
        System.out.printf("control-plane overhead: %d jobs, load average before: %s, work dir %s%n", n, loadBefore,
                work);
        EmbeddedStack stack = EmbeddedStack.ephemeral().start();
        ServiceProcess trainer = null;
        try {
            uploadInputs(stack);
            TopicClient topics = new TopicClient(stack.kafkaBootstrapServers());
            topics.publish(new DatasetReady(PROJECT, DATASET, 1, null, "chat", "c1", trainKey(), "t", 40, null, null, 0,
                    40, new TokenStats(1, 1, 1, 1, 1, 0), "projects/" + PROJECT + "/report.json", null), "dataset-service");

            Service service = Service.named("trainer-service").onPort(Ports.freePort());
            trainerProperties.put("tuneforge.trainer.worker.djl-home", repo.resolve("worker/target").toString());
            trainerProperties.put("tuneforge.trainer.work-dir", work.resolve("trainer").toString());
            System.out.printf("trainer-service properties: %s%n", trainerProperties);
            trainer = ServiceProcess.start(service, repo, stack, Files.createDirectories(work.resolve("logs")),
                    trainerProperties);
            trainer.awaitReady(Duration.ofMinutes(3));

            BareWorker bare = new BareWorker(WorkerCommand.djl(Path.of(System.getProperty("java.home")),
                    repo.resolve("worker/target"), 1, "2g"));
            List<Job> jobs = new ArrayList<>();
            List<BareWorker.Run> bareRuns = new ArrayList<>();
            try (TrainingEventWatch watch = new TrainingEventWatch(stack.kafkaBootstrapServers());
                 KafkaProducer<String, String> producer = producer(stack.kafkaBootstrapServers());
                 Connection db = DriverManager.getConnection(stack.jdbcUrl("trainer"), stack.dbUsername(),
                         stack.dbPassword())) {
                // Warm-up, not counted: the trainer's first job (base model download, cold code paths); its
                // spec.json is the baseline's spec.
                Job warmup = runJob("job_cp_warmup", producer, watch, db);
                String spec = Files.readString(workdir(db, warmup.id()).resolve("spec.json"));
                System.out.printf("warm-up job done; baseline spec from trainer-service:%n%s%n", spec);
                for (int i = 1; i <= n; i++) {
                    bareRuns.add(bare.run(spec, work.resolve("bare/run-" + i)));
                    Thread.sleep(1000);
                    jobs.add(runJob(String.format(Locale.ROOT, "job_cp_%02d", i), producer, watch, db));
                    Thread.sleep(1000); // the worker exits after its finished line; let it go before the next run
                    System.out.printf("run %d/%d: bare worker %.0f ms, job %.0f ms%n", i, n,
                            Timing.ms(bareRuns.getLast().toExit()),
                            Timing.ms(Duration.between(jobs.getLast().requested(), jobs.getLast().finishedOnKafka())));
                }
            }
            report(jobs, bareRuns);
            System.out.printf("load average after: %s%n", Files.readString(Path.of("/proc/loadavg")).strip());
        } finally {
            if (trainer != null && trainer.isAlive()) {
                trainer.stop();
            }
            stack.stop();
            deleteTree(work);
        }
    }

    private static Job runJob(String jobId, KafkaProducer<String, String> producer, TrainingEventWatch watch,
                              Connection db) throws Exception {
        EventEnvelope request = EventEnvelope.wrap(new TrainingRequested(PROJECT, jobId, BASE_MODEL, DATASET, 1, "lora",
                RECIPE, "bench", "bench", null), "bench");
        producer.send(TopicClient.toRecord(request)).get();
        TrainingEventWatch.Seen started = watch.await(jobId, STARTED, JOB_TIMEOUT);
        TrainingEventWatch.Seen finished = watch.await(jobId, FINISHED, JOB_TIMEOUT);
        Path workdir = workdir(db, jobId);
        return new Job(jobId, request.time().toInstant(),
                instant(db, "SELECT received_at FROM tf_inbox WHERE event_id = ?", request.id()),
                instant(db, "SELECT started_at FROM attempts WHERE job_id = ? AND attempt = 1", jobId),
                Timing.mtime(workdir.resolve("spec.json")),
                started.ceTime(), started.kafkaTime(),
                Timing.mtime(workdir.resolve("out/trainer_state.json")),
                finished.ceTime(),
                instant(db, "SELECT sent_at FROM tf_outbox WHERE event_key = ? AND event_type = '" + FINISHED + "'",
                        jobId),
                finished.kafkaTime(), finished.seenAt());
    }

    private static void report(List<Job> jobs, List<BareWorker.Run> bare) {
        System.out.printf("%n%-58s %9s %9s %9s%n", "trainer-service, per job (ms)", "median", "p90", "mean");
        row("request → consumed (tf_inbox.received_at)", jobs, j -> between(j.requested(), j.consumed()));
        row("consumed → claimed (attempts.started_at): tick+validate", jobs, j -> between(j.consumed(), j.claimed()));
        row("claimed → spec.json written: staging", jobs, j -> between(j.claimed(), j.specWritten()));
        row("spec.json → TrainingStarted ce_time: worker start", jobs,
                j -> between(j.specWritten(), j.startedEmitted()));
        row("(a) request → TrainingStarted ce_time", jobs, j -> between(j.requested(), j.startedEmitted()));
        row("    TrainingStarted ce_time → on Kafka (relay)", jobs,
                j -> between(j.startedEmitted(), j.startedOnKafka()));
        row("TrainingStarted → trainer_state.json: training", jobs,
                j -> between(j.startedEmitted(), j.stateWritten()));
        row("trainer_state.json → TrainingFinished ce_time: upload", jobs,
                j -> between(j.stateWritten(), j.finishedEmitted()));
        row("TrainingFinished ce_time → relay pickup (sent_at)", jobs,
                j -> between(j.finishedEmitted(), j.finishedRelayPickup()));
        row("relay pickup → on Kafka (record timestamp)", jobs,
                j -> between(j.finishedRelayPickup(), j.finishedOnKafka()));
        row("(b) request → TrainingFinished on Kafka", jobs, j -> between(j.requested(), j.finishedOnKafka()));
        row("    TrainingFinished on Kafka → seen by this consumer", jobs,
                j -> between(j.finishedOnKafka(), j.finishedSeen()));

        System.out.printf("%n%-58s %9s %9s %9s%n", "bare worker, per run (ms)", "median", "p90", "mean");
        row("(a') launch → started line", bare, r -> Timing.ms(r.toStarted()));
        row("started line → trainer_state.json: training", bare, r -> between(r.startedLine(), r.stateWritten()));
        row("trainer_state.json → finished line", bare, r -> between(r.stateWritten(), r.finishedLine()));
        row("finished line → exit", bare, r -> between(r.finishedLine(), r.exited()));
        row("(b') launch → exit", bare, r -> Timing.ms(r.toExit()));

        double a = Timing.median(values(jobs, j -> between(j.requested(), j.startedEmitted())));
        double aBare = Timing.median(values(bare, r -> Timing.ms(r.toStarted())));
        double b = Timing.median(values(jobs, j -> between(j.requested(), j.finishedOnKafka())));
        double bBare = Timing.median(values(bare, r -> Timing.ms(r.toExit())));
        System.out.printf("%nratio (a)/(a') = %.2f   ratio (b)/(b') = %.2f   overhead (b) − (b') = %.0f ms (medians)%n",
                a / aBare, b / bBare, b - bBare);

        // Job i and bare run i ran back to back, so their differences see the same machine load.
        List<Double> pairedA = new ArrayList<>();
        List<Double> pairedB = new ArrayList<>();
        for (int i = 0; i < jobs.size(); i++) {
            pairedA.add(between(jobs.get(i).requested(), jobs.get(i).startedEmitted()) - Timing.ms(bare.get(i).toStarted()));
            pairedB.add(between(jobs.get(i).requested(), jobs.get(i).finishedOnKafka()) - Timing.ms(bare.get(i).toExit()));
        }
        System.out.printf("%n%-58s %9s %9s %9s%n", "paired (job i − bare run i, ms)", "median", "p90", "mean");
        row("(a) − (a')", pairedA, v -> v);
        row("(b) − (b')", pairedB, v -> v);
        // The segments only trainer-service has, each measured directly (no bare run subtracted): free of
        // the worker's start-up noise, but without what the service may add inside the worker's start.
        row("control plane alone: request → claimed → spec.json,", jobs,
                j -> between(j.requested(), j.specWritten()) + between(j.stateWritten(), j.finishedOnKafka()));
        System.out.println("    + trainer_state.json → TrainingFinished on Kafka");

        // The overhead split by where it goes; means, so the parts add up to the mean overhead exactly.
        System.out.printf("%n%-58s %9s%n", "overhead (b) − (b'), split (means, ms)", "ms");
        double queue = mean(jobs, j -> between(j.requested(), j.claimed()));
        double staging = mean(jobs, j -> between(j.claimed(), j.specWritten()));
        double workerStart = mean(jobs, j -> between(j.specWritten(), j.startedEmitted()))
                - mean(bare, r -> Timing.ms(r.toStarted()));
        double training = mean(jobs, j -> between(j.startedEmitted(), j.stateWritten()))
                - mean(bare, r -> between(r.startedLine(), r.stateWritten()));
        double finish = mean(jobs, j -> between(j.stateWritten(), j.finishedOnKafka()))
                - mean(bare, r -> between(r.stateWritten(), r.exited()));
        System.out.printf("%-58s %9.0f%n", "queue pickup: request → attempt claimed", queue);
        System.out.printf("%-58s %9.0f%n", "staging: claimed → spec.json written", staging);
        System.out.printf("%-58s %9.0f%n", "worker start: (spec.json → started) − (a')", workerStart);
        System.out.printf("%-58s %9.0f%n", "training under the service − bare training", training);
        System.out.printf("%-58s %9.0f%n", "finish: (state → on Kafka) − (state → bare exit)", finish);
        System.out.printf("%-58s %9.0f%n", "total", queue + staging + workerStart + training + finish);
    }

    private static <T> void row(String label, List<T> samples, Function<T, Double> value) {
        List<Double> v = values(samples, value);
        System.out.printf("%-58s %9.0f %9.0f %9.0f%n", label, Timing.median(v), Timing.p90(v),
                v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN));
    }

    private static <T> List<Double> values(List<T> samples, Function<T, Double> value) {
        return samples.stream().map(value).toList();
    }

    private static <T> double mean(List<T> samples, Function<T, Double> value) {
        return values(samples, value).stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    private static double between(Instant from, Instant to) {
        return Timing.ms(Duration.between(from, to));
    }

    private static void uploadInputs(EmbeddedStack stack) throws Exception {
        MinioClient s3 = stack.s3Client();
        Path model = TinyLlamaWriter.write(Files.createTempDirectory("tiny-bench"), TinyLlamaWriter.Spec.small());
        try (Stream<Path> files = Files.list(model)) {
            for (Path f : files.toList()) {
                put(s3, "base-models/" + BASE_MODEL + "/" + f.getFileName(), Files.readAllBytes(f));
            }
        }
        deleteTree(model);
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            jsonl.append("{\"messages\":[{\"role\":\"user\",\"content\":\"Name ").append(i % 7)
                    .append("\"},{\"role\":\"assistant\",\"content\":\"{\\\"n\\\": ").append(i % 7).append("}\"}]}\n");
        }
        put(s3, trainKey(), jsonl.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static String trainKey() {
        return "projects/" + PROJECT + "/datasets/" + DATASET + "/v1/train.jsonl";
    }

    private static void put(MinioClient s3, String key, byte[] bytes) throws Exception {
        s3.putObject(PutObjectArgs.builder().bucket(EmbeddedStack.BUCKET).object(key)
                .stream(new ByteArrayInputStream(bytes), bytes.length, -1).build());
    }

    private static KafkaProducer<String, String> producer(String bootstrap) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return new KafkaProducer<>(props);
    }

    private static Path workdir(Connection db, String jobId) throws SQLException {
        try (PreparedStatement q = db.prepareStatement("SELECT workdir FROM attempts WHERE job_id = ? AND attempt = 1")) {
            q.setString(1, jobId);
            try (ResultSet r = q.executeQuery()) {
                if (!r.next()) {
                    throw new IllegalStateException("no attempt of " + jobId);
                }
                return Path.of(r.getString(1));
            }
        }
    }

    /**
     * A timestamp column of the trainer's database, by one key. Waits a little for it: the relay marks an
     * event sent in a transaction that commits after the event is on Kafka.
     */
    private static Instant instant(Connection db, String sql, Object key) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        try (PreparedStatement q = db.prepareStatement(sql)) {
            q.setObject(1, key instanceof UUID u ? u : key.toString());
            while (true) {
                try (ResultSet r = q.executeQuery()) {
                    if (r.next() && r.getObject(1) != null) {
                        return r.getObject(1, OffsetDateTime.class).toInstant();
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no value for " + sql + " with " + key);
                }
                Thread.sleep(50);
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
