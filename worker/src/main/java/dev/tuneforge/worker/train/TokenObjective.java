package dev.tuneforge.worker.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.tuneforge.worker.data.Batch;
import dev.tuneforge.worker.data.Row;
import dev.tuneforge.worker.data.TokenizedExample;
import dev.tuneforge.worker.model.LlamaModel;
import dev.tuneforge.worker.model.ScalarTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/** The mean token loss over the target tokens of a step (all its micro-batches), as transformers computes it. */
record TokenObjective(LlamaModel model, List<TokenizedExample> train, List<TokenizedExample> validation,
                      int batchSize, long padId) implements Objective {

    @Override
    public int trainSize() {
        return train.size();
    }

    @Override
    public int validationSize() {
        return validation.size();
    }

    @Override
    public StepLoss backward(List<List<Row>> microBatches, IntConsumer beforeMicroBatch) {
        List<Batch> batches = new ArrayList<>();
        for (List<Row> rows : microBatches) {
            batches.add(Batch.of(rows, train, padId));
        }
        int targets = batches.stream().mapToInt(Batch::targetCount).sum();
        int tokens = batches.stream().mapToInt(Batch::tokenCount).sum();
        double lossSum = 0;
        for (int i = 0; i < batches.size(); i++) {
            beforeMicroBatch.accept(i);
            try (NDManager scratch = model.manager().newSubManager();
                 GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray sum = TokenLoss.nllSum(model, batches.get(i).toTensors(scratch));
                // Not div(targets): see ScalarTensor — backward reads the divisor after DJL has let it go.
                collector.backward(sum.div(ScalarTensor.of(sum, Math.max(1, targets))));
                lossSum += sum.toType(DataType.FLOAT64, false).getDouble();
            }
        }
        return new StepLoss(lossSum / Math.max(1, targets), tokens, null, null);
    }

    @Override
    public Validated validate() {
        Validation.Result r = Validation.run(model, validation, batchSize, padId);
        return new Validated(r.loss(), r.tokenAccuracy(), null, null);
    }
}
