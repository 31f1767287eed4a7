package dev.tuneforge.eval.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** mteval-v13a tokenisation; expected strings are what sacreBLEU's Tokenizer13a returns for the same input. */
class Tokenizer13aTest {

    @Test
    void splitsPunctuationButKeepsNumbersTogether() {
        assertEquals("Hello , world !", Tokenizer13a.tokenize("Hello, world!"));
        assertEquals("It costs $ 3.50 , not $ 4 .", Tokenizer13a.tokenize("It costs $3.50, not $4."));
        assertEquals("1,000,000 units", Tokenizer13a.tokenize("1,000,000 units"));
    }

    @Test
    void dashIsSplitOnlyAfterADigit() {
        assertEquals("pages 10 - 20 , well-known", Tokenizer13a.tokenize("pages 10-20, well-known"));
    }

    @Test
    void unescapesEntitiesAndDropsSkipped() {
        assertEquals("Tom & \" Jerry \" < >", Tokenizer13a.tokenize("Tom &amp; &quot;Jerry&quot; &lt; &gt;"));
        assertEquals("token removed", Tokenizer13a.tokenize("<skipped> token removed"));
        assertEquals("line oneline two", Tokenizer13a.tokenize("line one-\nline two"));
    }

    @Test
    void apostropheIsNotSplit() {
        assertEquals("Smith's e-mail : a @ b . c", Tokenizer13a.tokenize("Smith's e-mail: a@b.c"));
    }
}
