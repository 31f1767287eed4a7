package dev.tuneforge.worker.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.tuneforge.worker.data.Batch;
import dev.tuneforge.worker.data.Row;
import dev.tuneforge.worker.data.TokenizedPair;
import dev.tuneforge.worker.model.LlamaModel;
import dev.tuneforge.worker.model.ScalarTensor;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * DPO (docs/WORKER_PROTOCOL.md, "DPO"): the mean {@link DpoLoss} over a step's pairs, each micro-batch's summed
 * pair losses divided by the step's pair count before backward, so accumulation does not change what a pair
 * weighs. The reference log-probabilities come from {@link ReferenceLogps}, never from a second model. A row of
 * the plan is one pair; a micro-batch runs its chosen and rejected sequences through the model together.
 */
record DpoObjective(LlamaModel model, List<TokenizedPair> train, List<TokenizedPair> validation,
                    ReferenceLogps reference, DpoLoss loss, int batchSize, long padId) implements Objective {

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
        int pairs = microBatches.stream().mapToInt(List::size).sum();
        Rewards step = new Rewards();
        int tokens = 0;
        for (int i = 0; i < microBatches.size(); i++) {
            List<Integer> indices = microBatches.get(i).stream().map(r -> r.examples().getFirst()).toList();
            Batch batch = PairScorer.batchOf(indices.stream().map(train::get).toList(), padId);
            tokens += batch.tokenCount();
            beforeMicroBatch.accept(i);
            try (NDManager scratch = model.manager().newSubManager();
                 GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray logp = TokenLoss.perRow(model, batch.toTensors(scratch)).logp();
                int n = indices.size();
                DpoLoss.Pairs p = loss.of(logp.get("0:" + n), logp.get(n + ":"),
                        referenceOf(scratch, indices, 0), referenceOf(scratch, indices, 1));
                NDArray sum = p.losses().sum();
                // Not div(pairs): see ScalarTensor — backward reads the divisor after DJL has let it go.
                collector.backward(sum.div(ScalarTensor.of(sum, pairs)));
                step.add(p);
            }
        }
        return new StepLoss(step.meanLoss(), tokens, step.accuracy(), step.margin());
    }

    private NDArray referenceOf(NDManager manager, List<Integer> indices, int answer) {
        float[] values = new float[indices.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) reference.train().get(indices.get(i))[answer];
        }
        return manager.create(values);
    }

    @Override
    public Validated validate() {
        List<PairScorer.Score> scores = PairScorer.score(model, validation, batchSize, padId);
        int n = scores.size();
        float[][] logps = new float[4][n];
        long correct = 0;
        long tokens = 0;
        for (int i = 0; i < n; i++) {
            PairScorer.Score s = scores.get(i);
            logps[0][i] = (float) s.chosenLogp();
            logps[1][i] = (float) s.rejectedLogp();
            logps[2][i] = (float) reference.validation().get(i)[0];
            logps[3][i] = (float) reference.validation().get(i)[1];
            correct += s.chosenCorrect();
            tokens += s.chosenTokens();
        }
        Rewards all = new Rewards();
        try (NDManager scratch = model.manager().newSubManager()) {
            all.add(loss.of(scratch.create(logps[0]), scratch.create(logps[1]), scratch.create(logps[2]),
                    scratch.create(logps[3])));
        }
        return new Validated(all.meanLoss(), (double) correct / Math.max(1, tokens), all.accuracy(), all.margin());
    }

    /** Pair losses and rewards added up over micro-batches. */
    private static final class Rewards {
        private double lossSum;
        private double rewardSum;
        private int wins;
        private int pairs;

        void add(DpoLoss.Pairs p) {
            lossSum += p.losses().sum().toType(DataType.FLOAT64, false).getDouble();
            for (double r : p.rewards().toType(DataType.FLOAT64, false).toDoubleArray()) {
                rewardSum += r;
                wins += r > 0 ? 1 : 0;
                pairs++;
            }
        }

        double meanLoss() {
            return lossSum / Math.max(1, pairs);
        }

        double accuracy() {
            return (double) wins / Math.max(1, pairs);
        }

        double margin() {
            return rewardSum / Math.max(1, pairs);
        }
    }
}
