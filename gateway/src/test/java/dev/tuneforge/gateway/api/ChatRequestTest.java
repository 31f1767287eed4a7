package dev.tuneforge.gateway.api;

import jakarta.ws.rs.core.Response;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The chat request parser on the inputs its fuzzer (ChatRequestFuzzTest) found, and on what it must accept. Not a
 * QuarkusTest: ChatTest shows the same answers over HTTP.
 */
class ChatRequestTest {

    @Test
    void theNamesAModelCanHaveAreRead() {
        for (String model : new String[] {"chatty", "chatty:12", "chatty@champion", "tiny-llama", "qwen2.5-0.5b_v2",
                "ft:tiny-llama:prj_a1:support:job_0123abcd", "ft:tiny-llama:prj_a1:support:job_0123abcd:ckpt-step-50"}) {
            assertEquals(model, ChatRequest.parse("{\"model\":\"" + model + "\",\"messages\":[]}").model());
        }
    }

    /** Found by fuzzing: the first one (a byte that is not UTF-8 before a name) as the fuzzer wrote it. */
    @Test
    void aModelNoModelCanBeCalledIsNotFoundBeforeAnyLookup() {
        byte[] found = {'{', '"', 'm', 'o', 'd', 'e', 'l', '"', ':', '"', (byte) 0xCA, 'h', 'a', 't', 't', 'y', ':',
                '1', '2', '"', ',', '"', 'm', 'e', 's', 's', 'a', 'g', 'e', 's', '"', ':', '[', ']', '}'};
        assertNotFound(new String(found, StandardCharsets.UTF_8));
        for (String model : new String[] {"chatty\\u0000", "Chatty", "chatty:99999999999", "chatty@", ":1", "a b",
                "x".repeat(65)}) {
            assertNotFound("{\"model\":\"" + model + "\",\"messages\":[]}");
        }
    }

    @Test
    void aBodyWithMoreAfterItsObjectIsRefusedAsNotJson() {
        for (String body : new String[] {"{\"model\":\"chatty\",\"messages\":[]} {\"model\":\"other\"}",
                "{\"model\":\"chatty\"}]", "{\"model\":\"chatty\"} x"}) {
            OpenAiError error = assertThrows(OpenAiError.class, () -> ChatRequest.parse(body), body);
            assertEquals(Map.of("status", 400, "type", "invalid_request_error"), shape(error), body);
        }
    }

    private static void assertNotFound(String body) {
        OpenAiError error = assertThrows(OpenAiError.class, () -> ChatRequest.parse(body), body);
        assertEquals(Map.of("status", 404, "type", "invalid_request_error", "param", "model", "code",
                "model_not_found"), shape(error), body);
    }

    private static Map<String, Object> shape(OpenAiError error) {
        Response response = error.toResponse();
        Map<?, ?> body = (Map<?, ?>) ((Map<?, ?>) response.getEntity()).get("error");
        Map<String, Object> shape = new HashMap<>(Map.of("status", response.getStatus(), "type", body.get("type")));
        if (body.get("param") != null) {
            shape.put("param", body.get("param"));
        }
        if (body.get("code") != null) {
            shape.put("code", body.get("code"));
        }
        return shape;
    }
}
