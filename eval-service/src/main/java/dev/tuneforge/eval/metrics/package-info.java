/**
 * Evaluation metrics computed from the worker's per-example output, each pinned to a published
 * reference implementation and tested against it: {@link dev.tuneforge.eval.metrics.Metrics#exactMatch
 * exact match}, {@link dev.tuneforge.eval.metrics.JsonChecks JSON validity and schema conformance},
 * {@link dev.tuneforge.eval.metrics.TokenF1 SQuAD token F1}, {@link dev.tuneforge.eval.metrics.RougeL
 * ROUGE-L} (rouge_score), {@link dev.tuneforge.eval.metrics.CorpusBleu BLEU} (sacreBLEU),
 * {@link dev.tuneforge.eval.metrics.LabelMetrics accuracy and macro P/R/F1} (scikit-learn),
 * {@link dev.tuneforge.eval.metrics.TokenStats loss, perplexity and token accuracy},
 * {@link dev.tuneforge.eval.metrics.Bootstrap bootstrap intervals} and
 * {@link dev.tuneforge.eval.metrics.Paired paired comparison}. Plain Java, no CDI: callers hold no state.
 */
package dev.tuneforge.eval.metrics;
