package dev.tuneforge.drift;

import java.util.Arrays;

/** Small array helpers shared by the statistics. */
final class Samples {

    private Samples() {}

    static double[] sortedCopy(double[] values) {
        double[] out = values.clone();
        Arrays.sort(out);
        return out;
    }

    static double[] toDouble(long[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
