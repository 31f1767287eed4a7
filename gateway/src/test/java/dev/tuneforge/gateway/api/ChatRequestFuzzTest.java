package dev.tuneforge.gateway.api;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import jakarta.ws.rs.core.Response;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chat request parser of {@code /v1/chat/completions} under a coverage-guided fuzzer (Jazzer), for any bytes a
 * client may send: either a request the gateway can act on (one JSON object, nothing after it, whose {@code model}
 * is a name a model can have) or an error in OpenAI's shape with a 4xx status, never another exception (which the
 * resource would answer with a 500). Not a @QuarkusTest: the parser is a plain class, fed the body as RESTEasy hands
 * it to the resource (UTF-8, malformed bytes replaced).
 *
 * <p>In the normal test run the harness replays its committed inputs (ChatRequestFuzzTestInputs/); bench/fuzz.sh
 * fuzzes it.
 */
class ChatRequestFuzzTest {

    /** What a model, version or alias can be called (service-kit's Names: 1-64 of a-z, 0-9, '.', '_', '-'). */
    private static final Pattern MODEL_REFERENCE =
            Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}(:[0-9]{1,9}|@[a-z0-9][a-z0-9._-]{0,63})?");
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    @FuzzTest
    void anyBodyIsARequestTheGatewayCanServeOrAnOpenAiStyleClientError(byte[] bytes) throws Exception {
        String body = new String(bytes, StandardCharsets.UTF_8);
        ChatRequest request;
        try {
            request = ChatRequest.parse(body);
        } catch (OpenAiError error) {
            Response response = error.toResponse();
            assertTrue(response.getStatus() >= 400 && response.getStatus() < 500, "status " + response.getStatus());
            Map<?, ?> shape = assertInstanceOf(Map.class,
                    assertInstanceOf(Map.class, response.getEntity()).get("error"));
            assertEquals("invalid_request_error", shape.get("type"));
            assertFalse(String.valueOf(shape.get("message")).isBlank(), "the error says what is wrong");
            return;
        }
        JsonNode parsed = STRICT.readTree(body);
        assertTrue(parsed.isObject(), "an accepted body is one JSON object, nothing before or after it: " + body);
        assertEquals(parsed.path("model").asText(), request.model());
        assertTrue(MODEL_REFERENCE.matcher(request.model()).matches(),
                "an accepted model can name a model, version or alias: '" + request.model() + "'");
    }
}
