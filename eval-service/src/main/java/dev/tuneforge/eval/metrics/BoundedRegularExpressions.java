package dev.tuneforge.eval.metrics;

import com.networknt.schema.regex.RegularExpression;
import com.networknt.schema.regex.RegularExpressionFactory;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * The {@code pattern}s of a gate's JSON Schema, matched as the validator's own JDK engine matches them
 * ({@link Pattern#compile}, {@code find}), but each match given at most {@link #BUDGET}. A user writes the pattern
 * and the model under evaluation writes the text: a pattern that backtracks catastrophically on it
 * ({@code ^(\w+\s?)*$} against a long line ending in punctuation) would otherwise hold an evaluation slot for ever,
 * its lease renewed all the while. A match that runs out of time throws {@link TooSlow}, which scores the output as
 * not conforming.
 */
final class BoundedRegularExpressions implements RegularExpressionFactory {

    /** Far beyond what a sane pattern needs on an output of a few thousand characters. */
    static final Duration BUDGET = Duration.ofMillis(200);

    static final BoundedRegularExpressions INSTANCE = new BoundedRegularExpressions(BUDGET);

    private final long budgetNanos;

    BoundedRegularExpressions(Duration budget) {
        this.budgetNanos = budget.toNanos();
    }

    /** A match that took longer than the budget. */
    static final class TooSlow extends RuntimeException {
        TooSlow(String pattern) {
            super("the schema's pattern '" + pattern + "' took longer than " + BUDGET.toMillis() + " ms to match");
        }
    }

    @Override
    public RegularExpression getRegularExpression(String regex) {
        Pattern pattern = Pattern.compile(regex);
        return text -> pattern.matcher(new Timed(text, System.nanoTime() + budgetNanos, regex)).find();
    }

    /** The text, which throws once the deadline has passed: the regex engine reads it a character at a time. */
    private record Timed(CharSequence text, long deadline, String regex) implements CharSequence {

        @Override
        public char charAt(int index) {
            if (System.nanoTime() - deadline > 0) {
                throw new TooSlow(regex);
            }
            return text.charAt(index);
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return new Timed(text.subSequence(start, end), deadline, regex);
        }

        @Override
        public String toString() {
            return text.toString();
        }
    }
}
