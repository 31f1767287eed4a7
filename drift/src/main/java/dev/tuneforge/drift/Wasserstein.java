package dev.tuneforge.drift;

import java.util.Arrays;

/**
 * The 1-Wasserstein (earth mover's) distance between two 1-D samples, as scipy's
 * {@code scipy.stats.wasserstein_distance(u, v)} (unweighted) computes it:
 * {@code sum_i |U(x_i) - V(x_i)| (x_{i+1} - x_i)} over the sorted pooled values x, with the empirical CDFs
 * {@code U(x) = #{u <= x} / n_u} (scipy's {@code _cdf_distance} with p = 1). In tokens when the samples are
 * lengths; {@link WindowReport} divides it by the reference's standard deviation before comparing it with its
 * threshold, as Evidently's {@code wasserstein} stat test does.
 */
public final class Wasserstein {

    private Wasserstein() {}

    public static double distance(double[] u, double[] v) {
        if (u.length == 0 || v.length == 0) {
            throw new IllegalArgumentException("wasserstein_distance needs two non-empty samples (sizes "
                    + u.length + " and " + v.length + ")");
        }
        double[] us = Samples.sortedCopy(u);
        double[] vs = Samples.sortedCopy(v);
        double[] all = new double[us.length + vs.length];
        System.arraycopy(us, 0, all, 0, us.length);
        System.arraycopy(vs, 0, all, us.length, vs.length);
        Arrays.sort(all);
        double sum = 0;
        int i = 0;
        int j = 0;
        for (int k = 0; k < all.length - 1; k++) {
            double x = all[k];
            while (i < us.length && us[i] <= x) {
                i++;
            }
            while (j < vs.length && vs[j] <= x) {
                j++;
            }
            sum += Math.abs((double) i / us.length - (double) j / vs.length) * (all[k + 1] - x);
        }
        return sum;
    }
}
