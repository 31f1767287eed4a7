package dev.tuneforge.worker.train;

import ai.djl.ndarray.NDManager;
import dev.tuneforge.worker.data.Batch;
import dev.tuneforge.worker.data.Row;
import dev.tuneforge.worker.data.TokenizedExample;
import dev.tuneforge.worker.model.LlamaModel;
import java.util.ArrayList;
import java.util.List;

/** Mean token loss and next-token accuracy over the target tokens of a data set, without gradients. */
public final class Validation {

    private Validation() {
    }

    public record Result(double loss, double tokenAccuracy, long tokens) { }

    public static Result run(LlamaModel model, List<TokenizedExample> examples, int batchSize, long padId) {
        double nll = 0;
        long correct = 0;
        long tokens = 0;
        for (int start = 0; start < examples.size(); start += batchSize) {
            List<Row> rows = new ArrayList<>();
            for (int i = start; i < Math.min(examples.size(), start + batchSize); i++) {
                rows.add(new Row(List.of(i)));
            }
            Batch batch = Batch.of(rows, examples, padId);
            try (NDManager scratch = model.manager().newSubManager()) {
                TokenLoss.Sums sums = TokenLoss.evaluate(model, batch.toTensors(scratch));
                nll += sums.nllSum().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
                correct += sums.correct().getLong();
            }
            tokens += batch.targetCount();
        }
        return new Result(nll / Math.max(1, tokens), (double) correct / Math.max(1, tokens), tokens);
    }
}
