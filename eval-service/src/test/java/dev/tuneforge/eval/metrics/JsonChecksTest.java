package dev.tuneforge.eval.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.eval.LoopbackServer;
import java.nio.file.Files;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Cases follow RFC 8259 and the y_/n_ cases of nst/JSONTestSuite. */
class JsonChecksTest {

    private static final JsonNode PERSON = ReferenceData.MAPPER.valueToTree(java.util.Map.of(
            "type", "object",
            "properties", java.util.Map.of(
                    "name", java.util.Map.of("type", "string"),
                    "age", java.util.Map.of("type", "integer", "minimum", 0)),
            "required", java.util.List.of("name"),
            "additionalProperties", false));

    @Test
    void acceptsExactlyOneJsonValue() {
        assertTrue(JsonChecks.valid("{\"a\": [1, 2.5e3, true, null, \"\\u00e9\"]}"));
        assertTrue(JsonChecks.valid("  [1]\n"));
        assertTrue(JsonChecks.valid("true"));          // y_structure_lonely_true
        assertTrue(JsonChecks.valid("\"x\""));         // y_structure_lonely_string
    }

    @Test
    void rejectsWhatRfc8259Rejects() {
        assertFalse(JsonChecks.valid(""));
        assertFalse(JsonChecks.valid("[1,]"));                 // n_array_extra_comma
        assertFalse(JsonChecks.valid("{'a': 1}"));             // n_object_single_quote
        assertFalse(JsonChecks.valid("[NaN]"));                // n_number_NaN
        assertFalse(JsonChecks.valid("[01]"));                 // n_number_with_leading_zero
        assertFalse(JsonChecks.valid("{\"a\":\"b\"}#{}"));     // n_structure_trailing_#
        assertFalse(JsonChecks.valid("[1] [2]"));              // two values
        assertFalse(JsonChecks.valid("/* c */ 1"));            // comments
        assertFalse(JsonChecks.valid("[\"a\u0001\"]"));        // unescaped control character
        assertFalse(JsonChecks.valid("Sure! {\"a\": 1}"));
    }

    @Test
    void conformanceToASchema() {
        assertTrue(JsonChecks.conforms("{\"name\": \"Ada\", \"age\": 36}", PERSON));
        assertFalse(JsonChecks.conforms("{\"age\": 36}", PERSON));
        assertFalse(JsonChecks.conforms("{\"name\": \"Ada\", \"age\": -1}", PERSON));
        assertFalse(JsonChecks.conforms("{\"name\": \"Ada\", \"extra\": 1}", PERSON));
        assertFalse(JsonChecks.conforms("{\"name\": \"Ada\",}", PERSON));
        assertEquals(1, JsonChecks.violations(JsonChecks.parse("{\"name\": 3}").orElseThrow(), PERSON).size());
        var compiled = JsonChecks.compile(PERSON);
        assertTrue(JsonChecks.conforms("{\"name\": \"Ada\"}", compiled));
        assertFalse(JsonChecks.conforms("[]", compiled));
    }

    @Test
    void patternsMatchAsTheValidatorsOwnEngineMatchesThem() {
        JsonNode word = ReferenceData.MAPPER.valueToTree(java.util.Map.of("type", "string", "pattern", "^[a-z]+$"));
        assertTrue(JsonChecks.conforms("\"abc\"", word));
        assertFalse(JsonChecks.conforms("\"ab1\"", word));
        JsonNode unanchored = ReferenceData.MAPPER.valueToTree(java.util.Map.of("type", "string", "pattern", "b+"));
        assertTrue(JsonChecks.conforms("\"abba\"", unanchored), "find, not a whole match");
    }

    @Test
    void aPatternThatBacktracksForEverOnAnOutputScoresItAsNotConformingInsteadOfHoldingTheSlot() {
        // a gate's pattern and a model's output: java.util.regex backtracks through O(n^12) ways to split the text
        // (30 characters took 9.5 s on JDK 25, 50 did not end in minutes)
        JsonNode twelve = ReferenceData.MAPPER.valueToTree(java.util.Map.of("type", "string",
                "pattern", "^(.*a){12}$"));
        var compiled = JsonChecks.compile(twelve);
        String output = "\"" + "a".repeat(60) + "!\"";
        assertFalse(assertTimeoutPreemptively(java.time.Duration.ofMinutes(1),
                () -> JsonChecks.conforms(output, compiled)), "a hang guard, not a speed claim");
        assertTrue(JsonChecks.conforms("\"" + "a".repeat(12) + "\"", compiled), "it matches what it should");
    }

    @Test
    void aSchemaThatReachesOutsideItselfIsRefusedAndNothingIsFetchedOrOpened() throws Exception {
        assertRefusedWithoutLoading(JsonChecks::compile);
    }

    @Test
    void whateverTheCheckMissedTheCompilerLoadsNothing() throws Exception {
        assertRefusedWithoutLoading(schema -> JsonChecks.conforms("{\"a\": 1}", JsonChecks.compileWithoutLoading(schema)));
    }

    /**
     * Uses schemas that lead a validator to a loopback HTTP server or to a local file holding {@code {"type":
     * "string"}}; each must be refused, naming where it leads, with no request to the server.
     */
    private static void assertRefusedWithoutLoading(Function<JsonNode, ?> use) throws Exception {
        String file = Files.writeString(Files.createTempFile("schema", ".json"), "{\"type\": \"string\"}").toUri()
                .toString();
        try (LoopbackServer server = LoopbackServer.start()) {
            String url = server.url();
            for (String schema : List.of(
                    "{\"$ref\": \"" + url + "/x\"}",
                    "{\"type\": \"object\", \"properties\": {\"a\": {\"$ref\": \"" + url + "/a\"}}}",
                    "{\"$ref\": \"" + file + "\"}",
                    "{\"$schema\": \"" + url + "/meta\", \"type\": \"object\"}",
                    "{\"$dynamicRef\": \"" + url + "/d\"}",
                    "{\"$schema\": \"http://json-schema.org/draft-04/schema#\", \"id\": \"" + url + "/root\","
                            + " \"properties\": {\"a\": {\"$ref\": \"#/nothere\"}}}")) {
                JsonNode node = ReferenceData.MAPPER.readTree(schema);
                JsonChecks.SchemaRefused refused = assertThrows(JsonChecks.SchemaRefused.class, () -> use.apply(node),
                        schema);
                assertEquals(0, server.requests(), "no request for " + schema);
                assertTrue(refused.getMessage().contains(url) || refused.getMessage().contains(file),
                        refused.getMessage());
            }
        }
    }

    @Test
    void aSelfContainedSchemaWithLocalReferencesAndAKnownDraftCompiles() {
        for (String draft : List.of("http://json-schema.org/draft-04/schema#", "http://json-schema.org/draft-07/schema#",
                "https://json-schema.org/draft/2019-09/schema", "https://json-schema.org/draft/2020-12/schema")) {
            JsonNode schema = ReferenceData.MAPPER.valueToTree(java.util.Map.of("$schema", draft,
                    "type", "object", "properties", java.util.Map.of("name", java.util.Map.of("$ref", "#/definitions/name")),
                    "definitions", java.util.Map.of("name", java.util.Map.of("type", "string"))));
            var compiled = JsonChecks.compile(schema);
            assertTrue(JsonChecks.conforms("{\"name\": \"Ada\"}", compiled), draft);
            assertFalse(JsonChecks.conforms("{\"name\": 3}", compiled), draft);
        }
    }

    @Test
    void draftIsTakenFromTheSchema() {
        // In draft-04 exclusiveMaximum is a boolean modifier; in 2020-12 it is a number.
        JsonNode draft4 = ReferenceData.MAPPER.valueToTree(java.util.Map.of(
                "$schema", "http://json-schema.org/draft-04/schema#",
                "type", "number", "maximum", 10, "exclusiveMaximum", true));
        assertTrue(JsonChecks.conforms("9", draft4));
        assertFalse(JsonChecks.conforms("10", draft4));
    }
}
