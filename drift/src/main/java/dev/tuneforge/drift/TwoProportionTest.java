package dev.tuneforge.drift;

import org.apache.commons.math3.special.Erf;

/**
 * The two-sided two-proportion z-test with the pooled proportion, for the change of the output-validity rate
 * (statsmodels' {@code proportions_ztest} with its defaults; the normal tail as scipy's {@code norm.sf}):
 * {@code p = (x1 + x2) / (n1 + n2)}, {@code z = (x2/n2 - x1/n1) / sqrt(p (1 - p) (1/n1 + 1/n2))},
 * p-value {@code 2 sf(|z|) = erfc(|z| / sqrt 2)}. When every output of both samples is valid (or none is) the
 * rates cannot differ: z = 0, p-value 1.
 */
public final class TwoProportionTest {

    /** z > 0 when the second (current) rate is higher. */
    public record Result(double referenceRate, double currentRate, double z, double pValue) {}

    private TwoProportionTest() {}

    public static Result test(long successes1, long trials1, long successes2, long trials2) {
        if (trials1 <= 0 || trials2 <= 0 || successes1 < 0 || successes2 < 0 || successes1 > trials1
                || successes2 > trials2) {
            throw new IllegalArgumentException("two-proportion test needs 0 <= successes <= trials and trials > 0 (got "
                    + successes1 + "/" + trials1 + " and " + successes2 + "/" + trials2 + ")");
        }
        double rate1 = (double) successes1 / trials1;
        double rate2 = (double) successes2 / trials2;
        double pooled = (double) (successes1 + successes2) / (trials1 + trials2);
        double se = Math.sqrt(pooled * (1 - pooled) * (1.0 / trials1 + 1.0 / trials2));
        if (se == 0) {
            return new Result(rate1, rate2, 0, 1);
        }
        double z = (rate2 - rate1) / se;
        return new Result(rate1, rate2, z, Erf.erfc(Math.abs(z) / Math.sqrt(2)));
    }
}
