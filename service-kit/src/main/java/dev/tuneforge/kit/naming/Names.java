package dev.tuneforge.kit.naming;

import dev.tuneforge.events.ModelPromoted;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The naming rules, in one place for every service that checks a name. The gateway checks them at the edge
 * (422 naming the field); registry-service checks the aliases it is asked to set with the same rule.
 * <ul>
 * <li>A <b>name</b> (base models, models, aliases) becomes one segment of an object key and a URL and part of a
 *     model reference ({@code name:version}, {@code name@alias}): 1 to 64 characters of a-z, 0-9, '.', '_' and
 *     '-', starting with a letter or a digit. So it has no '/', is never '.' or '..' (which S3 clients refuse as
 *     a segment), and has no ':' or '@'.</li>
 * <li>An <b>alias</b> is a name, except {@code previous-champion}: the registry moves that one with champion.</li>
 * <li>A <b>label</b> (a dataset's name) is only shown, never part of a key: 1 to 200 characters, no control
 *     characters (it is printed in tables and logs, one line each).</li>
 * </ul>
 * Each check answers with the problem as {@code "field: what is wrong, got 'value'"}, or nothing.
 */
public final class Names {

    public static final int MAX_NAME = 64;
    public static final int MAX_LABEL = 200;
    public static final String NAME_RULE = "1-" + MAX_NAME
            + " characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit";

    /** The rule as a regular expression, for patterns of references built on names (e.g. {@code name:version}). */
    public static final String NAME_REGEX = "[a-z0-9][a-z0-9._-]{0," + (MAX_NAME - 1) + "}";
    private static final Pattern NAME = Pattern.compile(NAME_REGEX);

    private Names() {
    }

    public static boolean isName(String value) {
        return value != null && NAME.matcher(value).matches();
    }

    /** A base model's, a model's or an alias's name. */
    public static Optional<String> nameProblem(String field, String value) {
        return isName(value) ? Optional.empty() : Optional.of(field + ": must be " + NAME_RULE + ", got " + quoted(value));
    }

    /** An alias a promotion may set. */
    public static Optional<String> aliasProblem(String field, String value) {
        if (ModelPromoted.PREVIOUS_CHAMPION.equals(value)) {
            return Optional.of(field + ": " + ModelPromoted.PREVIOUS_CHAMPION
                    + " cannot be set; the registry moves it with champion");
        }
        return nameProblem(field, value);
    }

    /** A name that is only shown: a dataset's. */
    public static Optional<String> labelProblem(String field, String value) {
        if (value == null || value.isBlank() || value.length() > MAX_LABEL) {
            return Optional.of(field + ": must be 1-" + MAX_LABEL + " characters, not blank, got " + quoted(value));
        }
        if (value.chars().anyMatch(Character::isISOControl)) {
            return Optional.of(field + ": must not contain control characters (line breaks, tabs), got "
                    + quoted(value));
        }
        return Optional.empty();
    }

    /** The value as a problem quotes it: escaped, and cut short when long. */
    private static String quoted(String value) {
        if (value == null) {
            return "nothing";
        }
        String shown = value.length() > 80 ? value.substring(0, 80) + "…" : value;
        StringBuilder out = new StringBuilder("'");
        shown.chars().forEach(c -> out.append(Character.isISOControl(c) ? String.format("\\u%04x", c) : (char) c));
        return out.append("' (").append(value.length()).append(" characters)").toString();
    }
}
