package dev.tuneforge.eval.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    void draftIsTakenFromTheSchema() {
        // In draft-04 exclusiveMaximum is a boolean modifier; in 2020-12 it is a number.
        JsonNode draft4 = ReferenceData.MAPPER.valueToTree(java.util.Map.of(
                "$schema", "http://json-schema.org/draft-04/schema#",
                "type", "number", "maximum", 10, "exclusiveMaximum", true));
        assertTrue(JsonChecks.conforms("9", draft4));
        assertFalse(JsonChecks.conforms("10", draft4));
    }
}
