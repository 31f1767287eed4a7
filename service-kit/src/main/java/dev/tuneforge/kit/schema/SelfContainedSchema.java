package dev.tuneforge.kit.schema;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The rule for a JSON Schema a user hands the platform (a gate's {@code json_schema}): it must be inline and
 * self-contained. A reference may only point inside the document ({@code $ref}, {@code $dynamicRef},
 * {@code $recursiveRef} starting with {@code #}), {@code $schema} may only name a draft the validator has built
 * in, and no part of the document may give itself a URI ({@code $id}, draft-04's {@code id}, with a scheme or a
 * host): a {@code #...} reference would resolve against that URI, and the validator fetches it when the fragment is
 * not found (seen with networknt's draft-04). Anything else would make the service that compiles the schema fetch a
 * URL or open a file of the user's choosing (server-side request forgery). The gateway applies the rule when a
 * pipeline is configured; eval-service applies it again before it compiles a gate's schema and, besides, compiles
 * with a loader that loads nothing.
 *
 * <p>The whole document is searched, data keywords ({@code const}, {@code enum}, {@code default}, {@code examples})
 * included: the check does not tell a schema from a value, so a value such as {@code {"id": "https://..."}} is
 * refused too. That is rare, and the message names where it is.
 */
public final class SelfContainedSchema {

    /** Keywords whose value is a URI reference the validator resolves. */
    private static final Set<String> REFERENCES = Set.of("$ref", "$dynamicRef", "$recursiveRef");

    /** Keywords that give (part of) a schema a URI of its own. */
    private static final Set<String> IDENTIFIERS = Set.of("$id", "id");

    /** A URI with a scheme ({@code http:}, {@code file:}, {@code urn:}) or a host ({@code //host/...}). */
    private static final Pattern ABSOLUTE = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*:|//)");

    /** The drafts built into the validator, as {@code $schema} names them (without scheme and trailing {@code #}). */
    private static final Set<String> KNOWN_DRAFTS = Set.of("json-schema.org/draft-04/schema",
            "json-schema.org/draft-06/schema", "json-schema.org/draft-07/schema",
            "json-schema.org/draft/2019-09/schema", "json-schema.org/draft/2020-12/schema");

    private SelfContainedSchema() {
    }

    /**
     * Everything that keeps {@code schema} from being self-contained, each naming the keyword, its value and where
     * it is (a JSON Pointer); empty when it is fine.
     */
    public static List<String> problems(JsonNode schema) {
        List<String> problems = new ArrayList<>();
        if (schema == null || !(schema.isObject() || schema.isBoolean())) {
            problems.add("must be a JSON Schema (an object), got " + (schema == null ? "nothing" : schema.getNodeType()
                    .name().toLowerCase()));
            return problems;
        }
        walk(schema, "", problems);
        return problems;
    }

    private static void walk(JsonNode node, String pointer, List<String> problems) {
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                walk(node.get(i), pointer + "/" + i, problems);
            }
            return;
        }
        if (!node.isObject()) {
            return;
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            String key = field.getKey();
            JsonNode value = field.getValue();
            if (value.isTextual() && REFERENCES.contains(key) && !value.asText().startsWith("#")) {
                problems.add(key + " '" + value.asText() + "' at " + where(pointer) + " points outside the schema:"
                        + " only references within it (#/...) are allowed");
            } else if (value.isTextual() && key.equals("$schema") && !knownDraft(value.asText())) {
                problems.add("$schema '" + value.asText() + "' at " + where(pointer) + " is not a draft the"
                        + " validator has built in (draft-04, draft-06, draft-07, 2019-09, 2020-12)");
            } else if (value.isTextual() && IDENTIFIERS.contains(key) && ABSOLUTE.matcher(value.asText()).find()) {
                problems.add(key + " '" + value.asText() + "' at " + where(pointer) + " gives the schema a URI of its"
                        + " own, against which references would resolve: remove it");
            }
            walk(value, pointer + "/" + key.replace("~", "~0").replace("/", "~1"), problems);
        }
    }

    private static boolean knownDraft(String uri) {
        String bare = uri.replaceFirst("^https?://", "");
        return KNOWN_DRAFTS.contains(bare.endsWith("#") ? bare.substring(0, bare.length() - 1) : bare);
    }

    private static String where(String pointer) {
        return pointer.isEmpty() ? "the top level" : pointer;
    }
}
