package dev.tuneforge.kit.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.EventCodec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Not a @QuarkusTest: the rule is a walk over a JSON document. */
class SelfContainedSchemaTest {

    @Test
    void referencesWithinTheSchemaKnownDraftsAndKeywordNamedPropertiesAreFine() {
        assertEquals(List.of(), SelfContainedSchema.problems(json("""
                {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                 "properties": {"$ref": {"type": "string"}, "id": {"type": "integer"},
                                "answer": {"$ref": "#/definitions/answer"}, "other": {"$ref": "#anchor"}},
                 "definitions": {"answer": {"$id": "#anchor", "enum": ["yes", "no"]}},
                 "examples": [{"id": "u1"}]}""")));
        assertEquals(List.of(), SelfContainedSchema.problems(json("true")));
        for (String draft : List.of("http://json-schema.org/draft-04/schema#", "https://json-schema.org/draft-06/schema",
                "https://json-schema.org/draft/2019-09/schema", "http://json-schema.org/draft/2020-12/schema#")) {
            assertEquals(List.of(), SelfContainedSchema.problems(json("{\"$schema\": \"" + draft + "\"}")), draft);
        }
    }

    @Test
    void everythingThatLeadsOutsideIsNamedWithWhereItIsInDocumentOrder() {
        assertEquals(List.of(
                "$ref 'http://169.254.169.254/latest' at /properties/a points outside the schema: only references"
                        + " within it (#/...) are allowed",
                "id 'http://127.0.0.1:8080/root' at /properties/b gives the schema a URI of its own, against which"
                        + " references would resolve: remove it",
                "$dynamicRef 'file:///etc/passwd' at /items/0 points outside the schema: only references within it"
                        + " (#/...) are allowed",
                "$ref 'other.json#/x' at /$defs/a~1b points outside the schema: only references within it (#/...) are"
                        + " allowed",
                "$schema 'https://evil.example/meta' at the top level is not a draft the validator has built in"
                        + " (draft-04, draft-06, draft-07, 2019-09, 2020-12)"),
                SelfContainedSchema.problems(json("""
                        {"properties": {"a": {"$ref": "http://169.254.169.254/latest"},
                                        "b": {"id": "http://127.0.0.1:8080/root", "$ref": "#/nothere"}},
                         "items": [{"$dynamicRef": "file:///etc/passwd"}],
                         "$defs": {"a/b": {"$ref": "other.json#/x"}},
                         "$schema": "https://evil.example/meta"}""")));
        assertEquals(List.of("must be a JSON Schema (an object), got string"),
                SelfContainedSchema.problems(json("\"http://127.0.0.1/schema.json\"")));
    }

    private static JsonNode json(String text) {
        try {
            return EventCodec.mapper().readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }
}
