package dev.tuneforge.drift;

import java.util.Arrays;
import java.util.Comparator;

/**
 * The area under the ROC curve of scores for a binary label, equal to scikit-learn's
 * {@code sklearn.metrics.roc_auc_score(labels, scores)}. sklearn integrates its ROC curve with the trapezoid rule,
 * where tied scores form one point, so a tie between a positive and a negative counts one half; that area is the
 * Mann-Whitney statistic {@code (R+ - n+(n+ + 1)/2) / (n+ n-)} with mid-ranks R, which is what is computed here
 * (O(n log n)). Both classes must occur, as sklearn requires.
 */
public final class RocAuc {

    private RocAuc() {}

    public static double score(boolean[] positive, double[] scores) {
        int n = scores.length;
        if (positive.length != n) {
            throw new IllegalArgumentException("roc_auc_score needs one label per score (" + positive.length
                    + " labels, " + n + " scores)");
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> scores[i]));
        double positiveRankSum = 0;
        long positives = 0;
        int start = 0;
        while (start < n) {
            int end = start;
            while (end + 1 < n && scores[order[end + 1]] == scores[order[start]]) {
                end++;
            }
            double midRank = (start + end) / 2.0 + 1.0;
            for (int k = start; k <= end; k++) {
                if (positive[order[k]]) {
                    positiveRankSum += midRank;
                    positives++;
                }
            }
            start = end + 1;
        }
        long negatives = n - positives;
        if (positives == 0 || negatives == 0) {
            throw new IllegalArgumentException("roc_auc_score needs both classes (" + positives + " positive, "
                    + negatives + " negative)");
        }
        return (positiveRankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
    }
}
