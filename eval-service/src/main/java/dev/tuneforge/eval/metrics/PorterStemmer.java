package dev.tuneforge.eval.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The Porter stemmer (Porter, 1980, "An algorithm for suffix stripping") in the
 * {@code NLTK_EXTENSIONS} mode of NLTK's {@code nltk.stem.porter.PorterStemmer} (NLTK 3.8), which is
 * what {@code rouge_score} uses with {@code use_stemmer=True}. Step for step the same rules, rule
 * order and NLTK departures from the paper (irregular forms, {@code ies}/{@code ied} on four-letter
 * words, the {@code y -> i} condition, {@code bli}, {@code fulli}, {@code logi}, the two-letter
 * {@code *o} condition).
 */
public final class PorterStemmer {

    private static final Map<String, String> IRREGULAR = Map.ofEntries(
            Map.entry("sky", "sky"), Map.entry("skies", "sky"),
            Map.entry("dying", "die"), Map.entry("lying", "lie"), Map.entry("tying", "tie"),
            Map.entry("news", "news"),
            Map.entry("innings", "inning"), Map.entry("inning", "inning"),
            Map.entry("outings", "outing"), Map.entry("outing", "outing"),
            Map.entry("cannings", "canning"), Map.entry("canning", "canning"),
            Map.entry("howe", "howe"),
            Map.entry("proceed", "proceed"), Map.entry("exceed", "exceed"),
            Map.entry("succeed", "succeed"));

    /** A suffix rule: suffix "*d" means "ends in a double consonant"; null condition = always. */
    private record Rule(String suffix, String replacement, Predicate<String> condition) {
    }

    private PorterStemmer() {
    }

    /** Stems one word (lowercased first, as NLTK's default {@code to_lowercase=True}). */
    public static String stem(String word) {
        String stem = word.toLowerCase(Locale.ROOT);
        String irregular = IRREGULAR.get(word);
        if (irregular != null) {
            return IRREGULAR.get(stem);
        }
        if (word.length() <= 2) {
            return stem;
        }
        stem = step1a(stem);
        stem = step1b(stem);
        stem = step1c(stem);
        stem = step2(stem);
        stem = step3(stem);
        stem = step4(stem);
        stem = step5a(stem);
        stem = step5b(stem);
        return stem;
    }

    private static boolean isVowelLetter(char c) {
        return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
    }

    private static boolean isConsonant(String word, int i) {
        char c = word.charAt(i);
        if (isVowelLetter(c)) {
            return false;
        }
        if (c == 'y') {
            return i == 0 || !isConsonant(word, i - 1);
        }
        return true;
    }

    private static int measure(String stem) {
        int m = 0;
        boolean prevVowel = false;
        for (int i = 0; i < stem.length(); i++) {
            boolean consonant = isConsonant(stem, i);
            if (consonant && prevVowel) {
                m++;
            }
            prevVowel = !consonant;
        }
        return m;
    }

    private static boolean hasPositiveMeasure(String stem) {
        return measure(stem) > 0;
    }

    private static boolean containsVowel(String stem) {
        for (int i = 0; i < stem.length(); i++) {
            if (!isConsonant(stem, i)) {
                return true;
            }
        }
        return false;
    }

    private static boolean endsDoubleConsonant(String word) {
        int n = word.length();
        return n >= 2 && word.charAt(n - 1) == word.charAt(n - 2) && isConsonant(word, n - 1);
    }

    private static boolean endsCvc(String word) {
        int n = word.length();
        char last = n > 0 ? word.charAt(n - 1) : 0;
        return (n >= 3
                && isConsonant(word, n - 3)
                && !isConsonant(word, n - 2)
                && isConsonant(word, n - 1)
                && last != 'w' && last != 'x' && last != 'y')
                || (n == 2 && !isConsonant(word, 0) && isConsonant(word, 1));
    }

    private static String dropSuffix(String word, String suffix) {
        return word.substring(0, word.length() - suffix.length());
    }

    private static String applyRules(String word, List<Rule> rules) {
        for (Rule rule : rules) {
            if (rule.suffix().equals("*d") && endsDoubleConsonant(word)) {
                String stem = word.substring(0, word.length() - 2);
                return rule.condition() == null || rule.condition().test(stem)
                        ? stem + rule.replacement() : word;
            }
            if (word.endsWith(rule.suffix())) {
                String stem = dropSuffix(word, rule.suffix());
                return rule.condition() == null || rule.condition().test(stem)
                        ? stem + rule.replacement() : word;
            }
        }
        return word;
    }

    private static String step1a(String word) {
        if (word.endsWith("ies") && word.length() == 4) {
            return dropSuffix(word, "ies") + "ie";
        }
        return applyRules(word, List.of(
                new Rule("sses", "ss", null),
                new Rule("ies", "i", null),
                new Rule("ss", "ss", null),
                new Rule("s", "", null)));
    }

    private static String step1b(String word) {
        if (word.endsWith("ied")) {
            return dropSuffix(word, "ied") + (word.length() == 4 ? "ie" : "i");
        }
        if (word.endsWith("eed")) {
            String stem = dropSuffix(word, "eed");
            return measure(stem) > 0 ? stem + "ee" : word;
        }
        String intermediate = null;
        for (String suffix : new String[] {"ed", "ing"}) {
            if (word.endsWith(suffix)) {
                String candidate = dropSuffix(word, suffix);
                if (containsVowel(candidate)) {
                    intermediate = candidate;
                    break;
                }
            }
        }
        if (intermediate == null) {
            return word;
        }
        char last = intermediate.charAt(intermediate.length() - 1);
        return applyRules(intermediate, List.of(
                new Rule("at", "ate", null),
                new Rule("bl", "ble", null),
                new Rule("iz", "ize", null),
                new Rule("*d", String.valueOf(last), stem -> last != 'l' && last != 's' && last != 'z'),
                new Rule("", "e", stem -> measure(stem) == 1 && endsCvc(stem))));
    }

    private static String step1c(String word) {
        return applyRules(word, List.of(
                new Rule("y", "i", stem -> stem.length() > 1 && isConsonant(stem, stem.length() - 1))));
    }

    private static String step2(String word) {
        if (word.endsWith("alli") && hasPositiveMeasure(dropSuffix(word, "alli"))) {
            return step2(dropSuffix(word, "alli") + "al");
        }
        Predicate<String> m0 = PorterStemmer::hasPositiveMeasure;
        List<Rule> rules = new ArrayList<>(List.of(
                new Rule("ational", "ate", m0),
                new Rule("tional", "tion", m0),
                new Rule("enci", "ence", m0),
                new Rule("anci", "ance", m0),
                new Rule("izer", "ize", m0),
                new Rule("bli", "ble", m0),
                new Rule("alli", "al", m0),
                new Rule("entli", "ent", m0),
                new Rule("eli", "e", m0),
                new Rule("ousli", "ous", m0),
                new Rule("ization", "ize", m0),
                new Rule("ation", "ate", m0),
                new Rule("ator", "ate", m0),
                new Rule("alism", "al", m0),
                new Rule("iveness", "ive", m0),
                new Rule("fulness", "ful", m0),
                new Rule("ousness", "ous", m0),
                new Rule("aliti", "al", m0),
                new Rule("iviti", "ive", m0),
                new Rule("biliti", "ble", m0),
                new Rule("fulli", "ful", m0)));
        String w = word;
        rules.add(new Rule("logi", "log", stem -> hasPositiveMeasure(w.substring(0, w.length() - 3))));
        return applyRules(word, rules);
    }

    private static String step3(String word) {
        Predicate<String> m0 = PorterStemmer::hasPositiveMeasure;
        return applyRules(word, List.of(
                new Rule("icate", "ic", m0),
                new Rule("ative", "", m0),
                new Rule("alize", "al", m0),
                new Rule("iciti", "ic", m0),
                new Rule("ical", "ic", m0),
                new Rule("ful", "", m0),
                new Rule("ness", "", m0)));
    }

    private static final List<Rule> STEP4 = step4Rules();

    private static List<Rule> step4Rules() {
        Predicate<String> m1 = stem -> measure(stem) > 1;
        List<Rule> rules = new ArrayList<>();
        for (String s : new String[] {"al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement",
                                      "ment", "ent"}) {
            rules.add(new Rule(s, "", m1));
        }
        rules.add(new Rule("ion", "", stem -> measure(stem) > 1
                && (stem.endsWith("s") || stem.endsWith("t"))));
        for (String s : new String[] {"ou", "ism", "ate", "iti", "ous", "ive", "ize"}) {
            rules.add(new Rule(s, "", m1));
        }
        return List.copyOf(rules);
    }

    private static String step4(String word) {
        return applyRules(word, STEP4);
    }

    private static String step5a(String word) {
        if (word.endsWith("e")) {
            String stem = dropSuffix(word, "e");
            int m = measure(stem);
            if (m > 1 || (m == 1 && !endsCvc(stem))) {
                return stem;
            }
        }
        return word;
    }

    private static String step5b(String word) {
        return applyRules(word, List.of(
                new Rule("ll", "l", stem -> measure(word.substring(0, word.length() - 1)) > 1)));
    }
}
