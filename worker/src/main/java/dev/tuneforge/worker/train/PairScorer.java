package dev.tuneforge.worker.train;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.tuneforge.worker.data.Batch;
import dev.tuneforge.worker.data.Row;
import dev.tuneforge.worker.data.TokenizedExample;
import dev.tuneforge.worker.data.TokenizedPair;
import dev.tuneforge.worker.model.LlamaModel;
import java.util.ArrayList;
import java.util.List;

/**
 * What a model (with whatever adapter is attached, dropout off) makes of preference pairs, without gradients:
 * each answer's summed log-probability given its prompt, and greedy accuracy on the chosen answer's tokens. The
 * reference log-probabilities, validation and {@code evaluate} all score pairs through here, so they agree.
 */
public final class PairScorer {

    private PairScorer() {
    }

    /**
     * @param chosenLogp     {@code logp(chosen | prompt)}, summed over the answer's tokens
     * @param rejectedLogp   {@code logp(rejected | prompt)}
     * @param chosenCorrect  chosen-answer tokens greedy decoding predicts exactly
     * @param chosenTokens   the chosen answer's tokens
     */
    public record Score(double chosenLogp, double rejectedLogp, long chosenCorrect, int chosenTokens) { }

    /** One score per pair, in order, {@code batchSize} pairs (twice as many rows) per forward pass. */
    public static List<Score> score(LlamaModel model, List<TokenizedPair> pairs, int batchSize, long padId) {
        List<Score> scores = new ArrayList<>();
        for (int start = 0; start < pairs.size(); start += batchSize) {
            List<TokenizedPair> chunk = pairs.subList(start, Math.min(pairs.size(), start + batchSize));
            Batch batch = batchOf(chunk, padId);
            try (NDManager scratch = model.manager().newSubManager()) {
                TokenLoss.RowSums sums = TokenLoss.perRow(model, batch.toTensors(scratch));
                double[] logp = sums.logp().toType(DataType.FLOAT64, false).toDoubleArray();
                long[] correct = sums.correct().toLongArray();
                for (int i = 0; i < chunk.size(); i++) {
                    scores.add(new Score(logp[i], logp[chunk.size() + i], correct[i],
                            chunk.get(i).chosen().trainedTokens()));
                }
            }
        }
        return scores;
    }

    /** The pairs' chosen sequences in rows {@code 0..n-1}, their rejected ones in rows {@code n..2n-1}, as TRL lays them. */
    public static Batch batchOf(List<TokenizedPair> pairs, long padId) {
        List<TokenizedExample> sequences = new ArrayList<>();
        pairs.forEach(p -> sequences.add(p.chosen()));
        pairs.forEach(p -> sequences.add(p.rejected()));
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < sequences.size(); i++) {
            rows.add(new Row(List.of(i)));
        }
        return Batch.of(rows, sequences, padId);
    }
}
