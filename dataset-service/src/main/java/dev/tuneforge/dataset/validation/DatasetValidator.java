package dev.tuneforge.dataset.validation;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.events.DatasetReport;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Validates a JSONL dataset in one streaming pass, like OpenAI's data-preparation checks: every
 * problem counted with the first lines where it happened, exact duplicates removed, tokens counted
 * with the base model's tokenizer. Valid examples are handed to an {@link ExampleSink} in their
 * normalised (chat) form and in input order; nothing is kept in memory but a hash per example and the
 * batch of lines being validated.
 */
public final class DatasetValidator {

    /**
     * @param maxLineBytes  longest accepted line
     * @param maxDepth      deepest accepted JSON nesting (a chat example needs 4)
     * @param contextWindow the base model's context: longer examples are truncated (a warning)
     * @param nearDuplicateThreshold estimated Jaccard similarity from which an example counts as a
     *                      near-duplicate; above 1 turns the check off
     * @param nearDuplicateCapacity how many examples the near-duplicate index holds (bounds memory)
     * @param maxExamples   the most examples a pass keeps; the first one beyond is an error and reading stops. Each
     *                      kept example costs 16 to 48 bytes of hashes here and as much in the split, so this bounds
     *                      the heap a pass needs whatever the file holds
     */
    public record Limits(int maxLineBytes, int maxDepth, int contextWindow, double nearDuplicateThreshold,
                         int nearDuplicateCapacity, long maxExamples) {
        /** 2 million: the 1 GiB chat file of docs/PERFORMANCE.md holds 1.74 million and fits a 256 MB heap. */
        public static final long DEFAULT_MAX_EXAMPLES = 2_000_000;
        public static final Limits DEFAULTS = new Limits(4 * 1024 * 1024, 32, 4096, 0.9, 100_000);

        public Limits(int maxLineBytes, int maxDepth, int contextWindow, double nearDuplicateThreshold,
                      int nearDuplicateCapacity) {
            this(maxLineBytes, maxDepth, contextWindow, nearDuplicateThreshold, nearDuplicateCapacity,
                    DEFAULT_MAX_EXAMPLES);
        }

        public Limits withContextWindow(int tokens) {
            return new Limits(maxLineBytes, maxDepth, tokens, nearDuplicateThreshold, nearDuplicateCapacity,
                    maxExamples);
        }

        /** At most {@code n} examples (at least 0: a version that already holds the most takes no more). */
        public Limits withMaxExamples(long n) {
            return new Limits(maxLineBytes, maxDepth, contextWindow, nearDuplicateThreshold, nearDuplicateCapacity,
                    Math.max(0, n));
        }
    }

    /** Receives each valid, first-seen example, its canonical JSON line and that line's 64-bit hash. */
    @FunctionalInterface
    public interface ExampleSink {
        void accept(Example example, String canonicalJson, long hash);
    }

    /** Lines validated together: their parsing, hashing and tokenising are spread over the cores. */
    static final int BATCH_LINES = 256;
    /** A batch ends early at this many characters, so that one of long lines stays small too. */
    static final int BATCH_CHARS = 1 << 20;

    private final Limits limits;
    private final ObjectMapper mapper;

    public DatasetValidator(Limits limits) {
        this.limits = limits;
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(limits.maxDepth()).build())
                .build();
        this.mapper = JsonMapper.builder(factory).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
    }

    public DatasetReport validate(InputStream content, DatasetFormat declared, TokenCounter tokens,
                                  ExampleSink sink) {
        return validate(content, declared, tokens, null, sink);
    }

    /**
     * @param declared          the user's format, or null to detect it from the first valid example
     * @param tokens            null to skip token statistics
     * @param evaluationPrompts hashes of the normalised prompts of registered evaluation sets
     *                          ({@link ExampleHash#of} of {@link TextNormalizer#normalizePrompt}); null for none
     */
    public DatasetReport validate(InputStream content, DatasetFormat declared, TokenCounter tokens,
                                  LongHashSet evaluationPrompts, ExampleSink sink) {
        ReportBuilder report = new ReportBuilder();
        try (Pass pass = new Pass(report, declared, tokens, evaluationPrompts, sink)) {
            BufferedInputStream in = BinarySniffer.buffered(content);
            if (BinarySniffer.isBinary(in)) {
                report.add(Check.NOT_JSONL, 1);
                return pass.report(0);
            }
            return pass.report(new JsonlLineReader(in, limits.maxLineBytes()).readAll(pass));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the dataset", e);
        }
    }

    /**
     * The state of one validation pass; receives lines from the reader and validates them a batch at a time.
     * What depends on a line alone (its JSON, the normalised text and its hashes, the near-duplicate signature,
     * the canonical line, the tokens) is computed for the whole batch on several threads; what depends on the
     * lines before (the format, duplicates, the report, the sink) then runs in input order on the calling
     * thread, exactly as line by line, so the report and the examples handed on do not depend on the batching.
     * A batch's tokens are counted on a thread of the pass while the next batch is parsed and checked, which
     * keeps every core busy through the parts that run in order; its examples reach the sink before the next
     * batch's. Memory stays bounded by two batches: at most {@link #BATCH_LINES} lines and about
     * {@link #BATCH_CHARS} characters each.
     */
    private final class Pass implements JsonlLineReader.Sink, AutoCloseable {

        private final ReportBuilder report;
        private final TokenCounter tokens;
        private final ExampleSink sink;
        private final TokenHistogram histogram = new TokenHistogram(limits.contextWindow());
        private final LongHashSet seen = new LongHashSet();
        private final LongHashSet evaluationPrompts;
        private final NearDuplicateIndex nearDuplicates = limits.nearDuplicateThreshold() > 1 ? null
                : new NearDuplicateIndex(limits.nearDuplicateThreshold(), limits.nearDuplicateCapacity());
        private final List<Line> batch = new ArrayList<>(BATCH_LINES);
        private long batchChars;
        /** Counts tokens; null without a token counter. */
        private final ExecutorService counting;
        /** The checked batch whose tokens are being counted, not yet handed to the sink; null if none. */
        private Counting inFlight;
        private DatasetFormat format;
        private long examples;
        /** Examples taken so far ({@link #isFresh}); once one more than the limit comes, the pass stops. */
        private long taken;
        private boolean stopped;

        Pass(ReportBuilder report, DatasetFormat declared, TokenCounter tokens, LongHashSet evaluationPrompts,
             ExampleSink sink) {
            this.report = report;
            this.evaluationPrompts = evaluationPrompts;
            this.format = declared;
            this.tokens = tokens;
            this.sink = sink;
            this.counting = tokens == null ? null : Executors.newSingleThreadExecutor(task -> {
                Thread thread = new Thread(task, "dataset-token-counting");
                thread.setDaemon(true);
                return thread;
            });
        }

        @Override
        public boolean stopped() {
            return stopped;
        }

        @Override
        public void badLine(long number, Check check) {
            add(new Line(number, null, check));
        }

        @Override
        public void line(long number, String text) {
            batchChars += text.length();
            add(new Line(number, text, null));
        }

        private void add(Line line) {
            batch.add(line);
            if (batch.size() >= BATCH_LINES || batchChars >= BATCH_CHARS) {
                flush();
            }
        }

        /** Validates the lines read so far. */
        void flush() {
            if (batch.isEmpty()) {
                return;
            }
            List<ParsedLine> parsed = batch.parallelStream().map(this::parse).toList();
            batch.clear();
            batchChars = 0;
            List<Example> valid = new ArrayList<>();
            for (ParsedLine line : parsed) {
                Example example = example(line);
                if (example != null) {
                    valid.add(example);
                }
            }
            List<Candidate> candidates = valid.parallelStream().map(this::candidate).toList();
            List<Candidate> fresh = new ArrayList<>();
            for (Candidate candidate : candidates) {
                if (isFresh(candidate)) {
                    fresh.add(candidate);
                }
            }
            keepInFlight();
            List<Example> counted = fresh.stream().map(Candidate::example).toList();
            inFlight = new Counting(fresh, tokens == null ? null
                    : CompletableFuture.supplyAsync(() -> tokens.countAll(counted), counting));
        }

        /** Hands the batch in flight to the sink, its tokens in the histogram, once they are counted. */
        private void keepInFlight() {
            if (inFlight == null) {
                return;
            }
            List<Candidate> fresh = inFlight.candidates();
            int[] counts = inFlight.counts();
            inFlight = null;
            for (int i = 0; i < fresh.size(); i++) {
                Candidate candidate = fresh.get(i);
                if (tokens != null) {
                    int count = counts != null ? counts[i] : tokens.count(candidate.example());
                    if (histogram.add(count)) {
                        report.add(Check.TOO_LONG, candidate.example().line());
                    }
                }
                examples++;
                sink.accept(candidate.example(), candidate.canonicalJson(), candidate.hash());
            }
        }

        /** Depends on the line alone: runs on any thread. */
        private ParsedLine parse(Line line) {
            if (line.problem() != null) {
                return ParsedLine.problem(line.number(), line.problem());
            }
            if (line.text().isBlank()) {
                return ParsedLine.problem(line.number(), Check.EMPTY_LINE);
            }
            JsonNode node;
            try {
                node = mapper.readTree(line.text());
            } catch (StreamConstraintsException e) {
                return ParsedLine.problem(line.number(), Check.TOO_DEEP);
            } catch (JsonProcessingException e) {
                return ParsedLine.problem(line.number(), Check.INVALID_JSON);
            }
            if (!node.isObject()) {
                return ParsedLine.problem(line.number(), Check.NOT_AN_OBJECT);
            }
            return new ParsedLine(line.number(), null, node, DatasetFormat.detect(node).orElse(null));
        }

        /** The dataset's format is the first valid example's: in input order. */
        private Example example(ParsedLine line) {
            if (line.problem() != null) {
                report.add(line.problem(), line.number());
                return null;
            }
            if (format == null) {
                if (line.detected() == null) {
                    report.add(Check.UNKNOWN_FORMAT, line.number());
                    return null;
                }
                format = line.detected();
            } else if (line.detected() != null && line.detected() != format) {
                report.add(Check.MIXED_FORMATS, line.number());
                return null;
            }
            return ExampleParser.parse(format, line.node(), line.number(), report);
        }

        /** Depends on the example alone: runs on any thread. */
        private Candidate candidate(Example example) {
            String normalized = TextNormalizer.normalize(example);
            long promptHash = evaluationPrompts == null ? 0
                    : ExampleHash.of(TextNormalizer.normalizePrompt(example));
            int[] signature = nearDuplicates == null ? null : NearDuplicateIndex.signature(normalized);
            String canonical = canonicalJson(example);
            return new Candidate(example, ExampleHash.of(normalized), promptHash, signature, canonical,
                    ExampleHash.of(canonical));
        }

        /** Not a duplicate, nor an evaluation prompt, nor a near-duplicate of an earlier example: in input order. */
        private boolean isFresh(Candidate candidate) {
            long number = candidate.example().line();
            if (stopped) {
                return false;
            }
            if (!seen.add(candidate.normalizedHash())) {
                report.add(Check.DUPLICATE_EXAMPLE, number);
                return false;
            }
            if (evaluationPrompts != null && evaluationPrompts.contains(candidate.promptHash())) {
                report.add(Check.CONTAMINATED, number);
                return false;
            }
            if (nearDuplicates != null) {
                boolean limitedBefore = nearDuplicates.reachedCapacity();
                if (nearDuplicates.isNearDuplicate(candidate.signature())) {
                    report.add(Check.NEAR_DUPLICATE, number);
                    return false;
                }
                if (!limitedBefore && nearDuplicates.reachedCapacity()) {
                    report.add(Check.NEAR_DUPLICATE_CHECK_LIMITED, number);
                }
            }
            if (taken == limits.maxExamples()) {
                report.add(Check.TOO_MANY_EXAMPLES, number);
                stopped = true;
                return false;
            }
            taken++;
            return true;
        }

        DatasetReport report(long lines) {
            flush();
            keepInFlight();
            return new DatasetReport(format == null ? null : format.id(), lines, examples,
                    report.findings(Check.Severity.ERROR), report.findings(Check.Severity.WARNING),
                    tokens == null ? null : histogram.stats(), tokens == null ? 0 : histogram.billedTokens(), null);
        }

        /** Waits for a count still running (the tokenizer must outlive it), then ends the counting thread. */
        @Override
        public void close() {
            if (inFlight != null) {
                inFlight.counts();
            }
            if (counting != null) {
                counting.shutdown();
            }
        }
    }

    /**
     * A checked batch and its token counts to come (null without a token counter).
     */
    private record Counting(List<Candidate> candidates, CompletableFuture<int[]> counting) {

        /**
         * The batch's tokens, or null if counting them failed (a chat template may refuse a conversation): the
         * batch is then counted one example at a time, so the failure surfaces at its own example, after the
         * examples before it were handed on, as without batching.
         */
        int[] counts() {
            if (counting == null) {
                return null;
            }
            try {
                return counting.join();
            } catch (CompletionException | CancellationException e) {
                return null;
            }
        }
    }

    /** A line as read: its text, or the problem that kept the reader from decoding it. */
    private record Line(long number, String text, Check problem) {
    }

    /** A line's JSON object and the format its keys suggest, or the problem that makes it no example. */
    private record ParsedLine(long number, Check problem, JsonNode node, DatasetFormat detected) {
        static ParsedLine problem(long number, Check problem) {
            return new ParsedLine(number, problem, null, null);
        }
    }

    /**
     * A valid example with what the checks and the sink need of it: the hash of its normalised text, of its
     * normalised prompt (0 without evaluation prompts), its near-duplicate signature (null with the check off),
     * and its canonical line with that line's hash.
     */
    private record Candidate(Example example, long normalizedHash, long promptHash, int[] signature,
                             String canonicalJson, long hash) {
    }

    /**
     * The normalised example as one JSON line: {@code {"messages":[...],"rejected"?:...}} with the
     * weight written only where it differs from the default. Identical content gives identical bytes.
     */
    String canonicalJson(Example example) {
        ObjectNode root = mapper.createObjectNode();
        ArrayNode messages = root.putArray("messages");
        for (Message message : example.messages()) {
            ObjectNode node = messages.addObject().put("role", message.role()).put("content", message.content());
            boolean defaultWeight = message.weight() == (message.role().equals(Message.ASSISTANT) ? 1 : 0);
            if (!defaultWeight) {
                node.put("weight", message.weight());
            }
        }
        if (example.rejected() != null) {
            root.put("rejected", example.rejected());
        }
        try {
            return mapper.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
