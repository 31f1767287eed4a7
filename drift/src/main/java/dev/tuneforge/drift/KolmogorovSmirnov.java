package dev.tuneforge.drift;

import java.util.Arrays;

/**
 * The two-sample Kolmogorov-Smirnov test, two-sided, as scipy's {@code scipy.stats.ks_2samp} computes it.
 *
 * <p>Statistic: {@code D = max_v |F1(v) - F2(v)|} over every observed value v, with the empirical CDFs
 * {@code F(v) = #{x <= v} / n} (ties handled by counting, as scipy's {@code searchsorted(side='right')}).
 *
 * <p>p-value: scipy's exact path. D is rounded to the lattice {@code h / lcm(n1, n2)} (scipy returns that rounded D
 * too); for {@code n1 == n2} the closed form of {@code _compute_prob_outside_square}, otherwise the lattice-path
 * count of {@code _compute_outer_prob_inside_method} (Hodges 1958; the 1-p recursion of Viehmann 2021,
 * arXiv:2102.08037), both step for step as scipy 1.17 does them. This is {@code ks_2samp(method='exact')}, which
 * is also what {@code method='auto'} (the default) runs when {@code max(n1, n2) <= 10000}.
 *
 * <p>Where scipy's exact path gives up it switches to {@code kstwo.sf(D, round(n1 n2 / (n1 + n2)))}. That happens
 * when the closed form rounds to just above 1 (equal sizes, D = 1/n: seen for n = 5, 7, 13, ...); there D is tiny
 * and scipy's {@code _kolmogn} takes its Ruben-Gambino branch (n D <= 1), which is reproduced here
 * ({@link PValueMethod#SCIPY_SMALL_D}, same values). Only when {@code lcm(n1, n2)} is too large for the lattice
 * (scipy's own switch: {@code n1/g >= (2^31-1) / (n2/g)}) or scipy would need another {@code kstwo} branch does
 * this fall back to the Kolmogorov limit {@code Q(sqrt(n1 n2 / (n1 + n2)) D)}, reported as
 * {@link PValueMethod#KOLMOGOROV_LIMIT}: that case has no parity claim (coprime sizes of about 50,000 each
 * and beyond).
 */
public final class KolmogorovSmirnov {

    /** How the p-value was computed. */
    public enum PValueMethod { EXACT, SCIPY_SMALL_D, KOLMOGOROV_LIMIT }

    /** The statistic D (scipy's, lattice-rounded on the exact path) and its two-sided p-value. */
    public record Result(double statistic, double pValue, PValueMethod method) {}

    private KolmogorovSmirnov() {}

    public static Result test(double[] sample1, double[] sample2) {
        if (sample1.length == 0 || sample2.length == 0) {
            throw new IllegalArgumentException("ks_2samp needs two non-empty samples (sizes "
                    + sample1.length + " and " + sample2.length + ")");
        }
        double[] a = Samples.sortedCopy(sample1);
        double[] b = Samples.sortedCopy(sample2);
        int n1 = a.length;
        int n2 = b.length;
        double maxS = Double.NEGATIVE_INFINITY;
        double minDiff = Double.POSITIVE_INFINITY;
        int i = 0;
        int j = 0;
        // Walk the distinct values in order; at each, both CDFs count the values <= it (searchsorted 'right').
        while (i < n1 || j < n2) {
            double v = j >= n2 || (i < n1 && a[i] <= b[j]) ? a[i] : b[j];
            while (i < n1 && a[i] <= v) {
                i++;
            }
            while (j < n2 && b[j] <= v) {
                j++;
            }
            double diff = (double) i / n1 - (double) j / n2;
            maxS = Math.max(maxS, diff);
            minDiff = Math.min(minDiff, diff);
        }
        double minS = Math.min(Math.max(-minDiff, 0.0), 1.0);
        double d = minS > maxS ? minS : maxS;

        long g = gcd(n1, n2);
        long n1g = n1 / g;
        long n2g = n2 / g;
        if (!((double) n1g >= (double) Integer.MAX_VALUE / n2g)) {
            long lcm = n1g * n2;
            long h = (long) Math.rint(d * lcm);
            double rounded = h * 1.0 / lcm;
            if (h == 0) {
                return new Result(rounded, 1.0, PValueMethod.EXACT);
            }
            double p = n1 == n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
            if (p >= 0 && p <= 1) {
                return new Result(rounded, p, PValueMethod.EXACT);
            }
            d = rounded;
        }
        double en = (double) n1 * n2 / ((double) n1 + n2);
        long kstwoN = (long) Math.rint(en);
        double t = kstwoN * d;
        if (t <= 1.0 && kstwoN <= 140 && kstwoN > 0 && d > 0 && d < 1) {
            double cdf = 1.0;
            if (t > 0.5) {
                for (long f = 1; f <= kstwoN; f++) {
                    cdf *= f * (1.0 / kstwoN) * (2 * t - 1);
                }
            } else {
                cdf = 0.0;
            }
            return new Result(d, Math.min(Math.max(1.0 - cdf, 0), 1), PValueMethod.SCIPY_SMALL_D);
        }
        return new Result(d, Math.min(Math.max(kolmogorovSurvival(Math.sqrt(en) * d), 0), 1),
                PValueMethod.KOLMOGOROV_LIMIT);
    }

    /** scipy's {@code _compute_prob_outside_square(n, h)}: Pr(D_{n,n} >= h/n), Horner-like. */
    static double probOutsideSquare(long n, long h) {
        double p = 0.0;
        long k = n / h;
        while (k >= 0) {
            double p1 = 1.0;
            for (long j = 0; j < h; j++) {
                p1 = (n - k * h - j) * p1 / (n + k * h + j + 1);
            }
            p = p1 * (1.0 - p);
            k--;
        }
        return 2 * p;
    }

    /** scipy's {@code _compute_outer_prob_inside_method(m, n, g, h)}: 1 - the share of paths strictly inside. */
    static double outerProbInside(long m, long n, long g, long h) {
        if (m < n) {
            long t = m;
            m = n;
            n = t;
        }
        long mg = m / g;
        long ng = n / g;
        int minj = 0;
        int maxj = (int) Math.min((long) Math.ceil((double) h / mg), n + 1);
        int curlen = maxj - minj;
        int lenA = (int) Math.min(2L * maxj + 2, n + 1);
        double[] values = new double[lenA];
        Arrays.fill(values, 1.0);
        Arrays.fill(values, minj, maxj, 0.0);
        for (long i = 1; i <= m; i++) {
            int lastminj = minj;
            int lastlen = curlen;
            minj = (int) Math.max((long) Math.floor((double) (ng * i - h) / mg) + 1, 0);
            minj = (int) Math.min(minj, n);
            maxj = (int) Math.min((long) Math.ceil((double) (ng * i + h) / mg), n + 1);
            if (maxj <= minj) {
                return 1.0;
            }
            double val = minj == 0 ? 0.0 : 1.0;
            for (int jj = 0; jj < maxj - minj; jj++) {
                long j = jj + minj;
                val = (values[jj + minj - lastminj] * i + val * j) / (i + j);
                values[jj] = val;
            }
            curlen = maxj - minj;
            if (lastlen > curlen) {
                Arrays.fill(values, maxj - minj, maxj - minj + (lastlen - curlen), 1.0);
            }
        }
        return values[maxj - minj - 1];
    }

    /** Kolmogorov's limiting survival function Q(z) = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 z^2). */
    static double kolmogorovSurvival(double z) {
        if (z < 0.2) {
            return 1.0;
        }
        double sum = 0;
        for (int k = 1; k <= 100; k++) {
            double term = Math.exp(-2.0 * k * k * z * z);
            sum += (k % 2 == 1 ? term : -term);
            if (term < 1e-17) {
                break;
            }
        }
        return 2 * sum;
    }

    private static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
