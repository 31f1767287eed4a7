package dev.tuneforge.eval.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * BLEU (Papineni et al., 2002) computed exactly as sacreBLEU 2.x does
 * ({@code sacrebleu/metrics/bleu.py}, {@code BLEU.compute_bleu}): {@code 13a} tokenisation, n-grams up
 * to 4, clipped counts against the element-wise maximum over references, the closest reference
 * length (shorter wins ties), brevity penalty {@code exp(1 - r/c)}, and one of sacreBLEU's smoothing
 * methods. {@link #score(List, List)} matches {@code sacrebleu.corpus_bleu(hyps, [refs])} and
 * {@link #sentenceScore(String, String)} matches {@code sacrebleu.sentence_bleu(hyp, [ref])}.
 */
public final class CorpusBleu {

    /** Maximum n-gram order, sacreBLEU's {@code MAX_NGRAM_ORDER}. */
    public static final int MAX_ORDER = 4;

    /** sacreBLEU's {@code my_log(0)}: the log of a zero precision is floored to this value. */
    private static final double LOG_ZERO = -9999999999.0;

    /** Smoothing methods of sacreBLEU (Chen &amp; Cherry, 2014). */
    public enum Smoothing {
        /** No smoothing. */
        NONE,
        /** Method 1: zero counts are replaced by {@code smoothValue} (default 0.1). */
        FLOOR,
        /** Method 2: add {@code smoothValue} (default 1) to counts and totals for n &gt; 1. */
        ADD_K,
        /** Method 3, the NIST {@code mteval-v13a.pl} smoothing: 1/2^k for the k-th zero count. */
        EXP
    }

    /**
     * BLEU options with sacreBLEU's names.
     *
     * @param lowercase      lowercase hypotheses and references first
     * @param smoothing      smoothing method
     * @param smoothValue    value for {@code FLOOR} / {@code ADD_K}; {@code NaN} for the default
     * @param effectiveOrder stop at the highest n-gram order with a non-zero total
     */
    public record Options(boolean lowercase, Smoothing smoothing, double smoothValue, boolean effectiveOrder) {

        /** {@code sacrebleu.corpus_bleu} defaults: mixed case, {@code exp}, no effective order. */
        public static final Options CORPUS = new Options(false, Smoothing.EXP, Double.NaN, false);

        /** {@code sacrebleu.sentence_bleu} defaults: mixed case, {@code exp}, effective order. */
        public static final Options SENTENCE = new Options(false, Smoothing.EXP, Double.NaN, true);

        public Options withLowercase(boolean lc) {
            return new Options(lc, smoothing, smoothValue, effectiveOrder);
        }
    }

    /**
     * Sufficient statistics of one segment: {@code [hypLen, refLen, correct1..4, total1..4]},
     * the layout of sacreBLEU's {@code _compute_segment_statistics}. Corpus BLEU is a function of
     * their sum, which is what bootstrap resampling needs.
     */
    public record SegmentStats(long[] values) {

        static SegmentStats sum(List<SegmentStats> all) {
            long[] total = new long[2 + 2 * MAX_ORDER];
            for (SegmentStats s : all) {
                for (int i = 0; i < total.length; i++) {
                    total[i] += s.values[i];
                }
            }
            return new SegmentStats(total);
        }
    }

    private CorpusBleu() {
    }

    /** Corpus BLEU with one reference per hypothesis and sacreBLEU's corpus defaults. */
    public static BleuScore score(List<String> hyps, List<String> refs) {
        return score(hyps, List.of(refs), Options.CORPUS);
    }

    /**
     * Corpus BLEU against one or more reference streams ({@code refStreams.get(k).get(i)} is the
     * k-th reference of segment i), like {@code sacrebleu.corpus_bleu(hyps, refStreams, ...)}.
     * Empty references are skipped; a segment without any reference is an error, as upstream.
     */
    public static BleuScore score(List<String> hyps, List<List<String>> refStreams, Options options) {
        return fromStats(SegmentStats.sum(segmentStats(hyps, refStreams, options)), options);
    }

    /** Sentence BLEU with sacreBLEU's {@code sentence_bleu} defaults ({@code exp}, effective order). */
    public static BleuScore sentenceScore(String hyp, String ref) {
        return score(List.of(hyp), List.of(List.of(ref)), Options.SENTENCE);
    }

    /** Per-segment sufficient statistics, for bootstrap resampling of corpus BLEU. */
    public static List<SegmentStats> segmentStats(List<String> hyps, List<List<String>> refStreams,
                                                  Options options) {
        for (List<String> stream : refStreams) {
            if (stream.size() != hyps.size()) {
                throw new IllegalArgumentException("hypotheses and references differ in length");
            }
        }
        List<SegmentStats> stats = new ArrayList<>(hyps.size());
        for (int i = 0; i < hyps.size(); i++) {
            List<List<String>> refTokens = new ArrayList<>();
            for (List<String> stream : refStreams) {
                String ref = stream.get(i);
                if (ref != null && !ref.isEmpty()) {
                    refTokens.add(preprocess(ref, options));
                }
            }
            if (refTokens.isEmpty()) {
                throw new IllegalArgumentException("segment " + i + " has no non-empty reference");
            }
            stats.add(segment(preprocess(hyps.get(i), options), refTokens));
        }
        return stats;
    }

    /** BLEU from summed statistics: sacreBLEU's {@code BLEU.compute_bleu}. */
    public static BleuScore fromStats(SegmentStats summed, Options options) {
        long[] v = summed.values();
        long sysLen = v[0];
        long refLen = v[1];
        double[] correct = new double[MAX_ORDER];
        double[] total = new double[MAX_ORDER];
        for (int n = 0; n < MAX_ORDER; n++) {
            correct[n] = v[2 + n];
            total[n] = v[2 + MAX_ORDER + n];
        }
        double smoothValue = Double.isNaN(options.smoothValue())
                ? switch (options.smoothing()) {
                    case FLOOR -> 0.1;
                    case ADD_K -> 1.0;
                    default -> Double.NaN;
                }
                : options.smoothValue();

        double bp;
        if (sysLen < refLen) {
            bp = sysLen > 0 ? Math.exp(1.0 - (double) refLen / (double) sysLen) : 0.0;
        } else {
            bp = 1.0;
        }

        double[] precisions = new double[MAX_ORDER];
        boolean anyCorrect = false;
        for (double c : correct) {
            anyCorrect |= c != 0;
        }
        if (!anyCorrect) {
            return result(0.0, correct, total, precisions, bp, sysLen, refLen);
        }

        double smoothMteval = 1.0;
        int effOrder = MAX_ORDER;
        for (int n = 1; n <= MAX_ORDER; n++) {
            if (options.smoothing() == Smoothing.ADD_K && n > 1) {
                correct[n - 1] += smoothValue;
                total[n - 1] += smoothValue;
            }
            if (total[n - 1] == 0) {
                break;
            }
            if (options.effectiveOrder()) {
                effOrder = n;
            }
            if (correct[n - 1] == 0) {
                if (options.smoothing() == Smoothing.EXP) {
                    smoothMteval *= 2;
                    precisions[n - 1] = 100. / (smoothMteval * total[n - 1]);
                } else if (options.smoothing() == Smoothing.FLOOR) {
                    precisions[n - 1] = 100. * smoothValue / total[n - 1];
                }
            } else {
                precisions[n - 1] = 100. * correct[n - 1] / total[n - 1];
            }
        }

        double logSum = 0.0;
        for (int n = 0; n < effOrder; n++) {
            logSum += precisions[n] == 0.0 ? LOG_ZERO : Math.log(precisions[n]);
        }
        double score = bp * Math.exp(logSum / effOrder);
        return result(score, correct, total, precisions, bp, sysLen, refLen);
    }

    private static BleuScore result(double score, double[] correct, double[] total, double[] precisions,
                                    double bp, long sysLen, long refLen) {
        List<Long> c = new ArrayList<>();
        List<Long> t = new ArrayList<>();
        List<Double> p = new ArrayList<>();
        for (int n = 0; n < MAX_ORDER; n++) {
            c.add((long) correct[n]);
            t.add((long) total[n]);
            p.add(precisions[n]);
        }
        return new BleuScore(score, c, t, p, bp, sysLen, refLen);
    }

    private static List<String> preprocess(String sentence, Options options) {
        // Python str.lower(); Locale.ROOT keeps it locale-independent.
        String s = options.lowercase() ? sentence.toLowerCase(Locale.ROOT) : sentence;
        return Tokenizer13a.tokens(PyText.rstrip(s));
    }

    private static SegmentStats segment(List<String> hyp, List<List<String>> refs) {
        Map<String, Integer> refNgrams = new HashMap<>();
        int hypLen = hyp.size();
        int closestDiff = -1;
        int closestLen = -1;
        for (List<String> ref : refs) {
            int diff = Math.abs(hypLen - ref.size());
            if (closestDiff == -1 || diff < closestDiff) {
                closestDiff = diff;
                closestLen = ref.size();
            } else if (diff == closestDiff && ref.size() < closestLen) {
                closestLen = ref.size();
            }
            ngrams(ref).forEach((k, v) -> refNgrams.merge(k, v, Math::max));
        }
        long[] values = new long[2 + 2 * MAX_ORDER];
        values[0] = hypLen;
        values[1] = closestLen;
        for (Map.Entry<String, Integer> e : ngrams(hyp).entrySet()) {
            int n = order(e.getKey());
            values[2 + MAX_ORDER + n - 1] += e.getValue();
            Integer inRef = refNgrams.get(e.getKey());
            if (inRef != null) {
                values[2 + n - 1] += Math.min(e.getValue(), inRef);
            }
        }
        return new SegmentStats(values);
    }

    // Tokens never contain whitespace, so a space-joined key identifies the n-gram.
    private static Map<String, Integer> ngrams(List<String> tokens) {
        Map<String, Integer> counts = new HashMap<>();
        for (int n = 1; n <= MAX_ORDER; n++) {
            for (int i = 0; i + n <= tokens.size(); i++) {
                counts.merge(String.join(" ", tokens.subList(i, i + n)), 1, Integer::sum);
            }
        }
        return counts;
    }

    private static int order(String ngram) {
        int n = 1;
        for (int i = 0; i < ngram.length(); i++) {
            if (ngram.charAt(i) == ' ') {
                n++;
            }
        }
        return n;
    }
}
