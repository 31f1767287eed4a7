package dev.tuneforge.drift;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.commons.math3.special.Erf;

/**
 * A domain classifier on prompt embeddings: can a linear model tell the window's prompts from the reference's? Its
 * held-out ROC AUC is 0.5 when it cannot; Evidently's text-drift test flags drift above 0.55.
 *
 * <p>Procedure (all seeded, so one seed gives one answer): each side is shuffled with a {@link SplittableRandom}
 * and cut to at most {@code perSide} vectors; each side's first half (rounded down) trains, the rest is held out
 * (a stratified 50/50 split, as Evidently's). The model is an L2-regularised logistic regression (λ = 1e-4) with
 * class-balanced weights, {@value #STEPS} steps of full-batch gradient descent (step 2.0) from zero weights: on
 * L2-normalised embeddings that is a smooth, well-conditioned problem, and its first step is already the
 * difference of the class means. The AUC is {@link RocAuc} of the held-out current-vs-reference scores.
 *
 * <p>With few held-out prompts a useless classifier's AUC scatters around 0.5; Evidently then compares with the
 * 95th percentile of random classifiers' AUCs. Here that percentile is closed-form: under no drift the held-out
 * scores of both classes are exchangeable, so the AUC is the Mann-Whitney statistic with mean 1/2 and variance
 * {@code (n0 + n1 + 1) / (12 n0 n1)}; {@link Result#nullQuantile(double)} is its upper quantile (normal approximation).
 */
public final class DomainClassifier {

    static final int STEPS = 30;
    private static final double STEP_SIZE = 2.0;
    private static final double L2 = 1e-4;

    /** The held-out labels (true = current window) and scores, and their AUC. */
    public record Result(double rocAuc, boolean[] heldOutCurrent, double[] heldOutScores) {
        /** The AUC a classifier without signal exceeds with probability {@code level}. */
        public double nullQuantile(double level) {
            long n1 = 0;
            for (boolean c : heldOutCurrent) {
                if (c) {
                    n1++;
                }
            }
            long n0 = heldOutCurrent.length - n1;
            double z = Math.sqrt(2) * Erf.erfInv(1 - 2 * level);
            return 0.5 + z * Math.sqrt((n0 + n1 + 1) / (12.0 * n0 * n1));
        }
    }

    private DomainClassifier() {}

    public static Result fit(double[][] reference, double[][] current, int perSide, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<SparseVector> ref = sample(reference, perSide, random).stream().map(SparseVector::of).toList();
        List<SparseVector> cur = sample(current, perSide, random).stream().map(SparseVector::of).toList();
        if (ref.size() < 2 || cur.size() < 2) {
            throw new IllegalArgumentException("the domain classifier needs at least 2 embeddings on each side (got "
                    + reference.length + " and " + current.length + ")");
        }
        int refTrain = ref.size() / 2;
        int curTrain = cur.size() / 2;
        int dim = reference[0].length;
        double[] w = new double[dim + 1];
        double[] grad = new double[dim + 1];
        double refWeight = 0.5 / refTrain;
        double curWeight = 0.5 / curTrain;
        for (int step = 0; step < STEPS; step++) {
            Arrays.fill(grad, 0);
            accumulate(grad, w, ref.subList(0, refTrain), 0.0, refWeight);
            accumulate(grad, w, cur.subList(0, curTrain), 1.0, curWeight);
            for (int k = 0; k < dim; k++) {
                w[k] -= STEP_SIZE * (grad[k] + L2 * w[k]);
            }
            w[dim] -= STEP_SIZE * grad[dim];
        }
        int heldRef = ref.size() - refTrain;
        int heldCur = cur.size() - curTrain;
        boolean[] labels = new boolean[heldRef + heldCur];
        double[] scores = new double[heldRef + heldCur];
        for (int i = 0; i < heldRef; i++) {
            scores[i] = margin(w, ref.get(refTrain + i));
        }
        for (int i = 0; i < heldCur; i++) {
            labels[heldRef + i] = true;
            scores[heldRef + i] = margin(w, cur.get(curTrain + i));
        }
        return new Result(RocAuc.score(labels, scores), labels, scores);
    }

    private static void accumulate(double[] grad, double[] w, List<SparseVector> rows, double label, double weight) {
        for (SparseVector x : rows) {
            double residual = weight * (1.0 / (1.0 + Math.exp(-margin(w, x))) - label);
            x.addTo(grad, residual);
            grad[w.length - 1] += residual;
        }
    }

    /** w · x + bias (the last weight). */
    private static double margin(double[] w, SparseVector x) {
        return x.dot(w) + w[w.length - 1];
    }

    /** A seeded shuffle of the rows, cut to at most {@code limit}. */
    static List<double[]> sample(double[][] rows, int limit, SplittableRandom random) {
        int[] order = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            order[i] = i;
        }
        for (int i = rows.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        List<double[]> out = new ArrayList<>(Math.min(limit, rows.length));
        for (int i = 0; i < Math.min(limit, rows.length); i++) {
            out.add(rows[order[i]]);
        }
        return out;
    }
}
