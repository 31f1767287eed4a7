package dev.tuneforge.worker.data;

/**
 * A DPO pair as two sequences, the prompt followed by each answer; each answer's tokens are its targets, so the
 * summed log-probability of the targets is {@code logp(answer | prompt)}.
 */
public record TokenizedPair(TokenizedExample chosen, TokenizedExample rejected) {

    /**
     * Both sequences end to end, targets included: what a {@link TrainingPlan} orders and fingerprints for a pair
     * (never fed to the model).
     */
    public TokenizedExample joined() {
        long[] ids = new long[chosen.length() + rejected.length()];
        long[] targets = new long[ids.length];
        System.arraycopy(chosen.inputIds(), 0, ids, 0, chosen.length());
        System.arraycopy(rejected.inputIds(), 0, ids, chosen.length(), rejected.length());
        System.arraycopy(chosen.targets(), 0, targets, 0, chosen.length());
        System.arraycopy(rejected.targets(), 0, targets, chosen.length(), rejected.length());
        return new TokenizedExample(ids, targets);
    }
}
