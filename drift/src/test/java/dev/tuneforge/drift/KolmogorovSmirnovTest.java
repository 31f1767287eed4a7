package dev.tuneforge.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** What ScipyParityTest cannot show: the fallback beyond scipy's exact lattice, and the refusal of empty samples. */
class KolmogorovSmirnovTest {

    @Test
    void samples_too_large_for_the_exact_lattice_get_the_kolmogorov_limit_and_say_so() {
        // 46341 and 46343 are coprime and their product exceeds 2^31 - 1: scipy's own switch away from 'exact'.
        Random random = new Random(3);
        double[] a = new double[46341];
        double[] same = new double[46343];
        double[] shifted = new double[46343];
        for (int i = 0; i < a.length; i++) {
            a[i] = random.nextGaussian();
        }
        for (int i = 0; i < same.length; i++) {
            same[i] = random.nextGaussian();
            shifted[i] = random.nextGaussian() + 0.1;
        }
        KolmogorovSmirnov.Result unchanged = KolmogorovSmirnov.test(a, same);
        KolmogorovSmirnov.Result drifted = KolmogorovSmirnov.test(a, shifted);
        assertEquals(KolmogorovSmirnov.PValueMethod.KOLMOGOROV_LIMIT, unchanged.method());
        assertEquals(KolmogorovSmirnov.PValueMethod.KOLMOGOROV_LIMIT, drifted.method());
        assertTrue(unchanged.pValue() > 0.01, "unchanged: " + unchanged);
        assertTrue(drifted.pValue() < 1e-6, "drifted: " + drifted);
    }

    @Test
    void an_empty_sample_is_refused_saying_which_sizes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KolmogorovSmirnov.test(new double[0], new double[] {1}));
        assertEquals("ks_2samp needs two non-empty samples (sizes 0 and 1)", e.getMessage());
    }
}
