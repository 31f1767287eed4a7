package dev.tuneforge.drift;

/**
 * The non-zero entries of an embedding. A hashed 3-gram vector of a prompt has one non-zero bucket per distinct
 * gram (about a hundred of 512), so dot products over the non-zeros cost a fifth of dense ones; the embedding
 * tests (MMD's distance matrix, the domain classifier) are most of a window's cost.
 */
record SparseVector(int[] index, double[] value, double squaredNorm) {

    static SparseVector of(double[] dense) {
        int nonZero = 0;
        for (double v : dense) {
            if (v != 0) {
                nonZero++;
            }
        }
        int[] index = new int[nonZero];
        double[] value = new double[nonZero];
        double norm = 0;
        int k = 0;
        for (int i = 0; i < dense.length; i++) {
            if (dense[i] != 0) {
                index[k] = i;
                value[k++] = dense[i];
                norm += dense[i] * dense[i];
            }
        }
        return new SparseVector(index, value, norm);
    }

    /** This · dense. */
    double dot(double[] dense) {
        double s = 0;
        for (int k = 0; k < index.length; k++) {
            s += value[k] * dense[index[k]];
        }
        return s;
    }

    /** dense += factor · this. */
    void addTo(double[] dense, double factor) {
        for (int k = 0; k < index.length; k++) {
            dense[index[k]] += factor * value[k];
        }
    }
}
