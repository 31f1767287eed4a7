package dev.tuneforge.worker.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.worker.data.TokenizedPair;
import dev.tuneforge.worker.data.TrainingPlan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The reference model's (the base model's) log-probabilities of every pair's answers, training and validation
 * pairs in the order of the data: computed once, before the first step, and kept in
 * {@code output_dir/reference_logps.json} with a fingerprint of the tokenized pairs, so a resumed run reads them
 * instead of holding or running a second model. A file for other data is computed again and replaced.
 *
 * @param train      {@code [chosen, rejected]} per training pair
 * @param validation {@code [chosen, rejected]} per validation pair
 */
public record ReferenceLogps(String fingerprint, List<double[]> train, List<double[]> validation) {

    public static final String FILE = "reference_logps.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The kept file if it was written for these pairs, else {@code compute} of the training then the validation
     * pairs, written before it is returned (to a temporary name, then renamed, so a file that exists is whole).
     */
    public static ReferenceLogps loadOrCompute(Path outputDir, List<TokenizedPair> train, List<TokenizedPair> validation,
                                               Function<List<TokenizedPair>, List<PairScorer.Score>> compute) {
        List<TokenizedPair> all = new ArrayList<>(train);
        all.addAll(validation);
        String fingerprint = TrainingPlan.fingerprint(all.stream().map(TokenizedPair::joined).toList())
                + "/" + train.size();
        Path file = outputDir.resolve(FILE);
        try {
            if (Files.isRegularFile(file)) {
                ReferenceLogps kept = JSON.readValue(file.toFile(), ReferenceLogps.class);
                if (kept.fingerprint().equals(fingerprint)) {
                    return kept;
                }
            }
            ReferenceLogps computed = new ReferenceLogps(fingerprint, logps(compute.apply(train)),
                    logps(compute.apply(validation)));
            Files.createDirectories(outputDir);
            Path temporary = outputDir.resolve("." + FILE + ".tmp");
            JSON.writeValue(temporary.toFile(), computed);
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return computed;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write " + file, e);
        }
    }

    private static List<double[]> logps(List<PairScorer.Score> scores) {
        return scores.stream().map(s -> new double[] {s.chosenLogp(), s.rejectedLogp()}).toList();
    }
}
