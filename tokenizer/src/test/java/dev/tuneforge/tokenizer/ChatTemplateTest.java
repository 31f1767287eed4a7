package dev.tuneforge.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Jinja behaviours that real chat templates rely on; expected strings are what jinja2 renders. */
class ChatTemplateTest {

    private static final SpecialTokens LLAMA3 =
            new SpecialTokens("<|begin_of_text|>", "<|eot_id|>", null, null);

    @Test
    void llama3StyleTemplateWithBosAndFilterPrecedence() {
        String source = "{{- bos_token }}{% for message in messages %}"
                + "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim"
                + " + '<|eot_id|>' }}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
        String out = new ChatTemplate(source, LLAMA3).render(List.of(ChatMessage.user("  hi  ")), true);
        assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", out);
    }

    @Test
    void whatAMessageSaysIsTextNeverATemplateOfItsOwn() {
        // jinja2 renders a message's {{ }} and {% %} literally; a template engine that rendered them again would let
        // anyone who can send a message run code in the server (a loop of 10^9 steps, an output of gigabytes)
        String source = "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}</{{ m['role'] }}>{% endfor %}";
        String code = "{{ 7*7 }} {% for i in range(3) %}x{% endfor %} {# c #} {{ raise_exception('no') }}";
        String out = new ChatTemplate(source, LLAMA3).render(List.of(ChatMessage.user(code),
                new ChatMessage("{{ 6*7 }}", "{% set a = 1 %}")), false);
        assertEquals("<user>" + code + "</user><{{ 6*7 }}>{% set a = 1 %}</{{ 6*7 }}>", out);
    }

    @Test
    void trimBlocksAndLstripBlocksRemoveBlockLines() {
        String source = """
                {% for m in messages %}
                  {% if m.role == 'user' %}
                U:{{ m.content }}
                  {% endif %}
                {% endfor %}
                """;
        String out = new ChatTemplate(source, LLAMA3)
                .render(List.of(ChatMessage.system("s"), ChatMessage.user("hi")), false);
        assertEquals("U:hi\n", out);
    }

    @Test
    void trailingNewlineOfTheSourceIsDroppedButNotOfOutput() {
        assertEquals("a", new ChatTemplate("{{ 'a' }}\n", LLAMA3).render(List.of(), false));
        assertEquals("a\n", new ChatTemplate("{{ 'a\\n' }}", LLAMA3).render(List.of(), false));
    }

    @Test
    void raiseExceptionFailsTheRender() {
        String source = "{% if messages[0]['role'] != 'system' %}{{ raise_exception('System message first') }}"
                + "{% endif %}ok";
        ChatTemplate template = new ChatTemplate(source, LLAMA3);
        assertEquals("ok", template.render(List.of(ChatMessage.system("s")), false));
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> template.render(List.of(ChatMessage.user("u")), false));
        assertTrue(e.getMessage().contains("System message first"), e.getMessage());
    }

    @Test
    void tojsonFormatsLikePythonJsonDumps() {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("type", "object");
        params.put("required", List.of("city"));
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("name", "weather");
        tool.put("description", "Says \"sunny\"\n");
        tool.put("parameters", params);
        tool.put("strict", true);
        tool.put("temperature", 0.5);
        ChatTemplate compact = new ChatTemplate("{{ tools | tojson }}", LLAMA3);
        assertEquals("[{\"name\": \"weather\", \"description\": \"Says \\\"sunny\\\"\\n\", \"parameters\": "
                        + "{\"type\": \"object\", \"required\": [\"city\"]}, \"strict\": true, \"temperature\": 0.5}]",
                compact.renderValues(List.of(), false, Map.of("tools", List.of(tool))));
        ChatTemplate indented = new ChatTemplate("{{ tools[0]['parameters'] | tojson(indent=2) }}", LLAMA3);
        assertEquals("{\n  \"type\": \"object\",\n  \"required\": [\n    \"city\"\n  ]\n}",
                indented.renderValues(List.of(), false, Map.of("tools", List.of(tool))));
    }

    @Test
    void namespaceAndLoopVariables() {
        String source = "{% set ns = namespace(system=false) %}{% for m in messages %}"
                + "{% if m.role == 'system' %}{% set ns.system = true %}{% endif %}"
                + "{{ loop.index0 }}{% if not loop.last %},{% endif %}{% endfor %}"
                + "{% if ns.system %} has system{% endif %}";
        String out = new ChatTemplate(source, LLAMA3)
                .render(List.of(ChatMessage.system("s"), ChatMessage.user("u")), false);
        assertEquals("0,1 has system", out);
    }

    @Test
    void whitespaceControlTrimsAroundTags() {
        String source = "A  {%- if true -%}  B  {%- endif -%}  C {{- ' D' }}";
        assertEquals("ABC D", new ChatTemplate(source, LLAMA3).render(List.of(), false));
    }
}
