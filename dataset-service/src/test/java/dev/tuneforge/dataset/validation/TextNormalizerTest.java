package dev.tuneforge.dataset.validation;

import org.junit.jupiter.api.Test;

import java.text.Normalizer;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TextNormalizerTest {

    /** What the normaliser did with a regex before whitespace was folded by hand: the two must agree. */
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    @Test
    void whitespaceIsFoldedExactlyAsTheRegexFoldedItWhateverTheMixOfSpacesAndOtherCharacters() {
        char[] alphabet = {'a', 'B', ' ', ' ', '\t', '\n', '\u000B', '\f', '\r', '\u00a0', '\u2003', '\u001c', '\u0085',
            '\u0000', 'é', '\u3000', 'ﬁ'};
        SplittableRandom random = new SplittableRandom(5);
        for (int n = 0; n < 20_000; n++) {
            StringBuilder text = new StringBuilder();
            for (int i = random.nextInt(12); i > 0; i--) {
                text.append(alphabet[random.nextInt(alphabet.length)]);
            }
            String expected = WHITESPACE.matcher(Normalizer.normalize(text, Normalizer.Form.NFKC)
                    .toLowerCase(Locale.ROOT)).replaceAll(" ").trim();
            assertEquals(expected, TextNormalizer.normalize(text.toString()), () -> "for " + text.codePoints()
                    .mapToObj(c -> String.format("U+%04X", c)).toList());
        }
    }

    @Test
    void caseSpacingAndCompatibilityFormsDoNotMakeTwoTextsDifferent() {
        assertEquals("hello, world", TextNormalizer.normalize("  Hello,\u00a0 \tWorld\r\n"));
        assertEquals("file", TextNormalizer.normalize("ﬁle"));
    }
}
