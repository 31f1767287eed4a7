package dev.tuneforge.system;

import dev.tuneforge.events.CloudEventHeaders;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.EventType;
import dev.tuneforge.events.TrainingProgress;
import dev.tuneforge.platform.EmbeddedStack;
import dev.tuneforge.platform.ServiceProcess;
import dev.tuneforge.platform.test.TopicClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * {@code kill -9} during the demo's chain: a part of the platform is killed at a moment of the chain and comes back
 * — a service as {@code up} brings it back (its supervisor starts it again), a server of the stack (Kafka, PostgreSQL,
 * the S3 server) started again by hand after a while on the same port and data, as an operator or a container runtime
 * would. Everything random (which part, where in its moment, how long a server stays down) comes from a seed, so a run
 * can be repeated.
 *
 * <p>Each kill waits for its moment, seen on the wire (records newer than the chain's start), then for the part to be
 * back (a service ready again, a server listening and set up) before the next kill waits for its own moment.
 */
final class Chaos {

    /** What is killed: the five services and the stack's three servers. */
    enum Component {
        GATEWAY("gateway"), DATASET_SERVICE("dataset-service"), TRAINER_SERVICE("trainer-service"),
        EVAL_SERVICE("eval-service"), REGISTRY_SERVICE("registry-service"), KAFKA(null), POSTGRESQL(null), S3(null);

        private final String module;

        Component(String module) {
            this.module = module;
        }

        String label() {
            return module != null ? module : name().toLowerCase(Locale.ROOT);
        }

        static Component of(String label) {
            return Arrays.stream(values()).filter(c -> c.label().equals(label)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no component '" + label + "'; one of "
                            + Arrays.stream(values()).map(Component::label).toList()));
        }
    }

    /**
     * Where in the chain a kill happens, and what on the wire says it has come: an upload being validated (after
     * {@code DatasetUploaded}, up to 2 s in), a job training (at a step between 15% and 85% of its steps), the
     * candidate being evaluated (after {@code TrainingFinished}, up to 15 s in), the model being registered and
     * promoted (after {@code EvalPassed}, up to 1 s in).
     */
    enum Moment {
        VALIDATION(EventType.DATASET_UPLOADED, Duration.ofSeconds(2)),
        TRAINING(EventType.TRAINING_PROGRESS, Duration.ZERO),
        EVALUATION(EventType.TRAINING_FINISHED, Duration.ofSeconds(15)),
        REGISTRATION(EventType.EVAL_PASSED, Duration.ofSeconds(1));

        private final EventType sign;
        private final Duration within;

        Moment(EventType sign, Duration within) {
            this.sign = sign;
            this.within = within;
        }

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Moment of(String label) {
            return valueOf(label.toUpperCase(Locale.ROOT));
        }
    }

    /**
     * One kill of {@code component} at {@code moment}, {@code position} (0 to 1) of the way into it; a server stays down
     * for {@code down}.
     */
    record Kill(Component component, Moment moment, double position, Duration down) {

        String cell() {
            return component.label() + "@" + moment.label();
        }

        @Override
        public String toString() {
            return cell() + String.format(Locale.ROOT, " (at %.2f", position)
                    + (component.module == null ? ", down " + down.toMillis() + " ms)" : ")");
        }
    }

    /** How a kill went: when it happened and how long the part took to be back. */
    record Done(Kill kill, Duration after, Duration back) {
        @Override
        public String toString() {
            return kill.cell() + " killed " + after.toSeconds() + " s into the chain, back after " + back.toSeconds()
                    + " s";
        }
    }

    private static final Duration BACK_WITHIN = Duration.ofMinutes(4);

    /** {@code n} kills of different components, each at a moment, in the order of the chain. */
    static List<Kill> sample(long seed, int n) {
        Random random = new Random(seed);
        List<Component> components = new ArrayList<>(List.of(Component.values()));
        java.util.Collections.shuffle(components, random);
        List<Kill> kills = new ArrayList<>();
        for (Component component : components.subList(0, n)) {
            kills.add(kill(component, Moment.values()[random.nextInt(Moment.values().length)], random));
        }
        kills.sort(Comparator.comparing(Kill::moment));
        return kills;
    }

    /** One kill per component and moment, moment by moment: the whole matrix. */
    static List<Kill> matrix(long seed) {
        Random random = new Random(seed);
        List<Kill> kills = new ArrayList<>();
        for (Moment moment : Moment.values()) {
            for (Component component : Component.values()) {
                kills.add(kill(component, moment, random));
            }
        }
        return kills;
    }

    /** The kills {@code component@moment,...} names. */
    static List<Kill> cells(String spec, long seed) {
        Random random = new Random(seed);
        return Arrays.stream(spec.split(",")).map(String::strip).filter(s -> !s.isEmpty()).map(cell -> {
            String[] parts = cell.split("@");
            if (parts.length != 2) {
                throw new IllegalArgumentException("a chaos cell is component@moment, got '" + cell + "'");
            }
            return kill(Component.of(parts[0]), Moment.of(parts[1]), random);
        }).toList();
    }

    private static Kill kill(Component component, Moment moment, Random random) {
        double position = moment == Moment.TRAINING ? 0.15 + 0.7 * random.nextDouble() : random.nextDouble();
        return new Kill(component, moment, position, Duration.ofMillis(1000 + random.nextInt(4000)));
    }

    private final Platform platform;
    private final TopicClient topics;
    private volatile boolean stopped;

    Chaos(Platform platform) {
        this.platform = platform;
        this.topics = new TopicClient(platform.stack().kafkaBootstrapServers());
    }

    /**
     * Carries out {@code kills} one after the other, on a thread of its own, as a chain that starts now proceeds;
     * completes with what was done once the last part is back, or once {@link #stop()} is called (kills whose
     * moment had not come are left out).
     */
    CompletableFuture<List<Done>> start(List<Kill> kills) {
        Instant since = Instant.now();
        CompletableFuture<List<Done>> result = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("chaos").start(() -> {
            List<Done> done = new ArrayList<>();
            try {
                for (Kill kill : kills) {
                    if (!awaitMoment(kill, since)) {
                        break;
                    }
                    Instant at = Instant.now();
                    System.out.println("chaos: killing " + kill);
                    killAndBringBack(kill);
                    done.add(new Done(kill, Duration.between(since, at), Duration.between(at, Instant.now())));
                    System.out.println("chaos: " + done.getLast());
                }
                result.complete(done);
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    /** No more kills: a moment not come yet never will (the chain is over). */
    void stop() {
        stopped = true;
    }

    private boolean awaitMoment(Kill kill, Instant since) throws InterruptedException {
        while (!stopped) {
            Instant sign = sign(kill, since);
            if (sign != null) {
                Instant at = sign.plusMillis((long) (kill.moment().within.toMillis() * kill.position()));
                while (!stopped && Instant.now().isBefore(at)) {
                    Thread.sleep(50);
                }
                return !stopped;
            }
            Thread.sleep(250);
        }
        return false;
    }

    /** When the moment's sign was seen on the wire, or null if not yet (or the broker cannot be read now). */
    private Instant sign(Kill kill, Instant since) {
        EventType sign = kill.moment().sign;
        try {
            for (ConsumerRecord<String, String> r : topics.readAll(sign.topic())) {
                if (r.timestamp() < since.toEpochMilli()
                        || !sign.typeName().equals(TopicClient.header(r, CloudEventHeaders.TYPE))) {
                    continue;
                }
                if (kill.moment() != Moment.TRAINING) {
                    return Instant.ofEpochMilli(r.timestamp());
                }
                TrainingProgress p = (TrainingProgress) EventCodec.read(sign, r.value());
                if (p.totalSteps() > 0 && p.step() >= Math.max(1, kill.position() * p.totalSteps())) {
                    return Instant.ofEpochMilli(r.timestamp());
                }
            }
        } catch (RuntimeException e) {
            // the broker is away (a kill before this one) or settling: look again
        }
        return null;
    }

    private void killAndBringBack(Kill kill) throws InterruptedException {
        EmbeddedStack stack = platform.stack();
        switch (kill.component()) {
            case KAFKA -> {
                stack.killKafka();
                Thread.sleep(kill.down());
                stack.startKafka();
            }
            case POSTGRESQL -> {
                stack.killPostgres();
                Thread.sleep(kill.down());
                stack.startPostgres();
            }
            case S3 -> {
                stack.killS3();
                Thread.sleep(kill.down());
                stack.startS3();
            }
            default -> {
                ServiceProcess killed = platform.service(kill.component().module);
                killed.kill();
                awaitBack(kill.component().module, killed);
            }
        }
    }

    /** Until the supervisor has started the service again and it is ready. */
    private void awaitBack(String module, ServiceProcess killed) throws InterruptedException {
        Instant deadline = Instant.now().plus(BACK_WITHIN);
        while (true) {
            ServiceProcess current = platform.service(module);
            if (current != killed && current.isReady()) {
                return;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException(module + " was not ready again within " + BACK_WITHIN + " of its kill"
                        + " (log " + current.logFile() + ")");
            }
            Thread.sleep(250);
        }
    }
}
