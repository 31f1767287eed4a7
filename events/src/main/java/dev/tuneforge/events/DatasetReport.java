package dev.tuneforge.events;

import java.util.List;

/**
 * A dataset's validation report, small by construction (one finding per check, at most five line
 * numbers each), so it travels inside {@link DatasetReady} and {@link DatasetRejected}.
 *
 * @param format       detected or declared format, null if none could be determined
 * @param lines        lines read
 * @param examples     valid examples kept after duplicate removal
 * @param errors       hard errors; any one rejects the dataset
 * @param tokens       tokens per example, null when not counted
 * @param billedTokens tokens trained on per epoch (after truncation)
 * @param validationFile the report of the user's own validation file, when one was given
 */
public record DatasetReport(
        String format,
        long lines,
        long examples,
        List<Finding> errors,
        List<Finding> warnings,
        TokenStats tokens,
        long billedTokens,
        DatasetReport validationFile) {

    /** One check that fired: how many times, and the first lines (1-based) where it did. */
    public record Finding(String code, String description, long count, List<Long> firstLines) {
    }
}
