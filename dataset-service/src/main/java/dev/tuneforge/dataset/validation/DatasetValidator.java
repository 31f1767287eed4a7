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

/**
 * Validates a JSONL dataset in one streaming pass, like OpenAI's data-preparation checks: every
 * problem counted with the first lines where it happened, exact duplicates removed, tokens counted
 * with the base model's tokenizer. Valid examples are handed to an {@link ExampleSink} in their
 * normalised (chat) form; nothing is kept in memory but a hash per example.
 */
public final class DatasetValidator {

    /**
     * @param maxLineBytes  longest accepted line
     * @param maxDepth      deepest accepted JSON nesting (a chat example needs 4)
     * @param contextWindow the base model's context: longer examples are truncated (a warning)
     * @param nearDuplicateThreshold estimated Jaccard similarity from which an example counts as a
     *                      near-duplicate; above 1 turns the check off
     * @param nearDuplicateCapacity how many examples the near-duplicate index holds (bounds memory)
     */
    public record Limits(int maxLineBytes, int maxDepth, int contextWindow, double nearDuplicateThreshold,
                         int nearDuplicateCapacity) {
        public static final Limits DEFAULTS = new Limits(4 * 1024 * 1024, 32, 4096, 0.9, 100_000);

        public Limits withContextWindow(int tokens) {
            return new Limits(maxLineBytes, maxDepth, tokens, nearDuplicateThreshold, nearDuplicateCapacity);
        }
    }

    /** Receives each valid, first-seen example, its canonical JSON line and that line's 64-bit hash. */
    @FunctionalInterface
    public interface ExampleSink {
        void accept(Example example, String canonicalJson, long hash);
    }

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
        Pass pass = new Pass(report, declared, tokens, evaluationPrompts, sink);
        long lines;
        try {
            BufferedInputStream in = BinarySniffer.buffered(content);
            if (BinarySniffer.isBinary(in)) {
                report.add(Check.NOT_JSONL, 1);
                return pass.report(0);
            }
            lines = new JsonlLineReader(in, limits.maxLineBytes()).readAll(pass);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the dataset", e);
        }
        return pass.report(lines);
    }

    /** The state of one validation pass; receives lines from the reader. */
    private final class Pass implements JsonlLineReader.Sink {

        private final ReportBuilder report;
        private final TokenCounter tokens;
        private final ExampleSink sink;
        private final TokenHistogram histogram = new TokenHistogram(limits.contextWindow());
        private final LongHashSet seen = new LongHashSet();
        private final LongHashSet evaluationPrompts;
        private final NearDuplicateIndex nearDuplicates = limits.nearDuplicateThreshold() > 1 ? null
                : new NearDuplicateIndex(limits.nearDuplicateThreshold(), limits.nearDuplicateCapacity());
        private DatasetFormat format;
        private long examples;

        Pass(ReportBuilder report, DatasetFormat declared, TokenCounter tokens, LongHashSet evaluationPrompts,
             ExampleSink sink) {
            this.report = report;
            this.evaluationPrompts = evaluationPrompts;
            this.format = declared;
            this.tokens = tokens;
            this.sink = sink;
        }

        @Override
        public void badLine(long number, Check check) {
            report.add(check, number);
        }

        @Override
        public void line(long number, String text) {
            if (text.isBlank()) {
                report.add(Check.EMPTY_LINE, number);
                return;
            }
            JsonNode node;
            try {
                node = mapper.readTree(text);
            } catch (StreamConstraintsException e) {
                report.add(Check.TOO_DEEP, number);
                return;
            } catch (JsonProcessingException e) {
                report.add(Check.INVALID_JSON, number);
                return;
            }
            if (!node.isObject()) {
                report.add(Check.NOT_AN_OBJECT, number);
                return;
            }
            DatasetFormat detected = DatasetFormat.detect(node).orElse(null);
            if (format == null) {
                if (detected == null) {
                    report.add(Check.UNKNOWN_FORMAT, number);
                    return;
                }
                format = detected;
            } else if (detected != null && detected != format) {
                report.add(Check.MIXED_FORMATS, number);
                return;
            }
            Example example = ExampleParser.parse(format, node, number, report);
            if (example != null) {
                accept(example, number);
            }
        }

        private void accept(Example example, long number) {
            String normalized = TextNormalizer.normalize(example);
            if (!seen.add(ExampleHash.of(normalized))) {
                report.add(Check.DUPLICATE_EXAMPLE, number);
                return;
            }
            if (evaluationPrompts != null
                    && evaluationPrompts.contains(ExampleHash.of(TextNormalizer.normalizePrompt(example)))) {
                report.add(Check.CONTAMINATED, number);
                return;
            }
            if (nearDuplicates != null) {
                boolean limitedBefore = nearDuplicates.reachedCapacity();
                if (nearDuplicates.isNearDuplicate(normalized)) {
                    report.add(Check.NEAR_DUPLICATE, number);
                    return;
                }
                if (!limitedBefore && nearDuplicates.reachedCapacity()) {
                    report.add(Check.NEAR_DUPLICATE_CHECK_LIMITED, number);
                }
            }
            String canonical = canonicalJson(example);
            long hash = ExampleHash.of(canonical);
            if (tokens != null && histogram.add(tokens.count(example))) {
                report.add(Check.TOO_LONG, number);
            }
            examples++;
            sink.accept(example, canonical, hash);
        }

        DatasetReport report(long lines) {
            return new DatasetReport(format == null ? null : format.id(), lines, examples,
                    report.findings(Check.Severity.ERROR), report.findings(Check.Severity.WARNING),
                    tokens == null ? null : histogram.stats(), tokens == null ? 0 : histogram.billedTokens(), null);
        }
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
