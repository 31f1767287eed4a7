package dev.tuneforge.worker.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.worker.eval.Generation;
import java.util.List;
import java.util.UUID;

/**
 * The response bodies of one completion request in OpenAI's formats: {@code chat.completion} and
 * {@code chat.completion.chunk} (with {@code delta}) for chat, {@code text_completion} for plain
 * completions, streamed or not. Every chunk of a stream carries the same id and creation time.
 */
final class OpenAiResponses {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final boolean chat;
    private final String model;
    private final int promptTokens;
    private final String id;
    private final long created = System.currentTimeMillis() / 1000;

    OpenAiResponses(boolean chat, String model, int promptTokens) {
        this.chat = chat;
        this.model = model;
        this.promptTokens = promptTokens;
        this.id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
    }

    /** {@code GET /v1/models}: the models this server answers with, in the order given. */
    static ObjectNode models(List<String> models) {
        ObjectNode list = NODES.objectNode().put("object", "list");
        ArrayNode data = list.putArray("data");
        long created = System.currentTimeMillis() / 1000;
        for (String model : models) {
            data.addObject()
                    .put("id", model)
                    .put("object", "model")
                    .put("created", created)
                    .put("owned_by", "tuneforge");
        }
        return list;
    }

    /** The whole answer, for a request without {@code stream}. */
    ObjectNode completion(Generation g) {
        ObjectNode body = header(chat ? "chat.completion" : "text_completion");
        ObjectNode choice = body.putArray("choices").addObject().put("index", 0);
        if (chat) {
            choice.putObject("message").put("role", "assistant").put("content", g.text());
        } else {
            choice.put("text", g.text());
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", g.finishReason().wireName());
        body.set("usage", usage(g));
        return body;
    }

    /** The first chunk of a chat stream: the assistant's role, no text yet, as OpenAI sends it. */
    ObjectNode roleChunk() {
        ObjectNode chunk = chunk();
        ObjectNode choice = choice(chunk);
        choice.putObject("delta").put("role", "assistant").put("content", "");
        choice.putNull("finish_reason");
        return chunk;
    }

    /** A piece of generated text. */
    ObjectNode textChunk(String piece) {
        ObjectNode chunk = chunk();
        ObjectNode choice = choice(chunk);
        if (chat) {
            choice.putObject("delta").put("content", piece);
        } else {
            choice.put("text", piece);
        }
        choice.putNull("finish_reason");
        return chunk;
    }

    /** The last chunk with a choice: no text, the finish reason. */
    ObjectNode finishChunk(Generation g) {
        ObjectNode chunk = chunk();
        ObjectNode choice = choice(chunk);
        if (chat) {
            choice.putObject("delta");
        } else {
            choice.put("text", "");
        }
        choice.put("finish_reason", g.finishReason().wireName());
        return chunk;
    }

    /** With {@code stream_options.include_usage}: a chunk with no choices and the token counts. */
    ObjectNode usageChunk(Generation g) {
        ObjectNode chunk = chunk();
        chunk.putArray("choices");
        chunk.set("usage", usage(g));
        return chunk;
    }

    private ObjectNode chunk() {
        return header(chat ? "chat.completion.chunk" : "text_completion");
    }

    private static ObjectNode choice(ObjectNode chunk) {
        ArrayNode choices = chunk.putArray("choices");
        ObjectNode choice = choices.addObject().put("index", 0);
        choice.putNull("logprobs");
        return choice;
    }

    private ObjectNode header(String object) {
        return NODES.objectNode()
                .put("id", id)
                .put("object", object)
                .put("created", created)
                .put("model", model);
    }

    private ObjectNode usage(Generation g) {
        return NODES.objectNode()
                .put("prompt_tokens", promptTokens)
                .put("completion_tokens", g.tokens().length)
                .put("total_tokens", promptTokens + g.tokens().length);
    }
}
