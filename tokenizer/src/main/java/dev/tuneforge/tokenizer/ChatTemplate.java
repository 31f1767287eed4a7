package dev.tuneforge.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.tree.Node;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A model's chat template, rendered as transformers' {@code apply_chat_template} does: Jinja with
 * {@code trim_blocks} and {@code lstrip_blocks}, the variables {@code messages},
 * {@code add_generation_prompt} and the special tokens, and the helpers {@code raise_exception},
 * {@code strftime_now} and a Python-compatible {@code tojson}.
 */
public final class ChatTemplate {

    public static final String TEMPLATE_FILE = "chat_template.jinja";
    public static final String LEGACY_TEMPLATE_FILE = "chat_template.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String source;
    private final SpecialTokens specialTokens;
    private final List<TemplateError> parseErrors;
    /**
     * One renderer per thread: a render writes into its context's parents (Jinjava records resolved
     * expressions up the chain), so threads that render at once must not share them.
     */
    private final ThreadLocal<Renderer> renderers;

    public ChatTemplate(String source, SpecialTokens specialTokens) {
        this.source = dropTrailingNewline(source);
        this.specialTokens = specialTokens;
        Renderer first = new Renderer(this.source);
        this.parseErrors = first.parseErrors;
        this.renderers = ThreadLocal.withInitial(() -> new Renderer(this.source));
        this.renderers.set(first);
    }

    /** A Jinjava set up as Python's Jinja, the template parsed once and a copy of its global context. */
    /** The longest render allowed: far beyond any conversation a model's context holds. */
    static final long MAX_OUTPUT_CHARS = 64L << 20;

    private static final class Renderer {
        private final Jinjava jinjava;
        /** The template parsed once; each render evaluates this tree (parsing is most of a render's cost). */
        private final Node tree;
        private final List<TemplateError> parseErrors;
        /** The global context (filters, functions, tags) copied once; each render gets a child of it. */
        private final Context baseContext;

        Renderer(String source) {
            // The overrides that make Jinjava behave as Python's Jinja where templates can tell: operator
            // precedence, {%- -%} trimming, backslash escapes, dict literals and iteration. Not
            // LegacyOverrides.ALL: it also strips a trailing newline from the output, which Jinja never does.
            LegacyOverrides python = LegacyOverrides.newBuilder()
                    .withEvaluateMapKeys(true)
                    .withIterateOverMapKeys(true)
                    .withUsePyishObjectMapper(true)
                    .withUseNaturalOperatorPrecedence(true)
                    .withParseWhitespaceControlStrictly(true)
                    .withUseTrimmingForNotesAndExpressions(true)
                    .withKeepNullableLoopValues(true)
                    .withHandleBackslashInQuotesOnly(true)
                    .build();
            // Jinjava renders an expression's value again when it holds {{ or {% ("nested interpretation", on by
            // default): a message saying "{{ 7*7 }}" would become "49", and one holding a loop would run it. Jinja
            // never does; a message is text. The output bound stops a template of the model's own that loops
            // away (a conversation renders to far less).
            this.jinjava = new Jinjava(JinjavaConfig.newBuilder()
                    .withTrimBlocks(true)
                    .withLstripBlocks(true)
                    .withLegacyOverrides(python)
                    .withNestedInterpretationEnabled(false)
                    .withMaxOutputSize(MAX_OUTPUT_CHARS)
                    .build());
            try {
                jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                        ChatTemplate.class.getMethod("raiseException", String.class)));
                jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now",
                        ChatTemplate.class.getMethod("strftimeNow", String.class)));
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException(e);
            }
            jinjava.getGlobalContext().registerFilter(new ToJsonFilter());
            JinjavaInterpreter parser = jinjava.newInterpreter();
            this.tree = parser.parse(source);
            this.parseErrors = fatal(parser.getErrorsCopy());
            this.baseContext = jinjava.newInterpreter().getContext();
        }
    }

    /**
     * The template of a model directory, looked up where transformers looks: {@code chat_template.jinja}
     * (current transformers saves it there), {@code chat_template.json}, then the {@code chat_template}
     * of {@code tokenizer_config.json} (a string, or a list of named templates of which "default" is
     * used).
     */
    public static Optional<String> findSource(Path modelDir, JsonNode tokenizerConfig) {
        try {
            Path jinja = modelDir.resolve(TEMPLATE_FILE);
            if (Files.isRegularFile(jinja)) {
                return Optional.of(Files.readString(jinja, StandardCharsets.UTF_8));
            }
            Path legacy = modelDir.resolve(LEGACY_TEMPLATE_FILE);
            if (Files.isRegularFile(legacy)) {
                Optional<String> fromJson = fromConfigValue(JSON.readTree(legacy.toFile()).get("chat_template"));
                if (fromJson.isPresent()) {
                    return fromJson;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the chat template of " + modelDir, e);
        }
        return tokenizerConfig == null ? Optional.empty() : fromConfigValue(tokenizerConfig.get("chat_template"));
    }

    private static Optional<String> fromConfigValue(JsonNode value) {
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (value.isTextual()) {
            return Optional.of(value.asText());
        }
        if (value.isArray()) {
            for (JsonNode named : value) {
                if ("default".equals(named.path("name").asText())) {
                    return Optional.of(named.path("template").asText());
                }
            }
        }
        return Optional.empty();
    }

    /** The error, with the template's own raise_exception message when that is what failed. */
    private static String describe(TemplateError error) {
        for (Throwable t = error.getException(); t != null; t = t.getCause()) {
            if (t instanceof ChatTemplateException raised) {
                return raised.getMessage() + " (line " + error.getLineno() + ")";
            }
        }
        return error.getMessage() + " (line " + error.getLineno() + ")";
    }

    /** jinja2 drops one trailing newline of the template source (keep_trailing_newline=False). */
    private static String dropTrailingNewline(String source) {
        if (source.endsWith("\r\n")) {
            return source.substring(0, source.length() - 2);
        }
        if (source.endsWith("\n") || source.endsWith("\r")) {
            return source.substring(0, source.length() - 1);
        }
        return source;
    }

    public String source() {
        return source;
    }

    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return renderValues(messages.stream().map(ChatMessage::toTemplateValue).toList(), addGenerationPrompt,
                Map.of());
    }

    /**
     * Renders with messages as plain maps (tool calls and other fields a template may read) and extra
     * variables such as {@code tools} or {@code enable_thinking}.
     */
    public String renderValues(List<Map<String, Object>> messages, boolean addGenerationPrompt,
                               Map<String, Object> extraVariables) {
        if (!parseErrors.isEmpty()) {
            throw new ChatTemplateException("chat template does not parse: "
                    + parseErrors.stream().map(ChatTemplate::describe).collect(Collectors.joining("; ")));
        }
        Map<String, Object> vars = new LinkedHashMap<>(specialTokens.templateVariables());
        vars.putAll(extraVariables);
        vars.put("messages", messages);
        vars.put("add_generation_prompt", addGenerationPrompt);
        Renderer renderer = renderers.get();
        Jinjava jinjava = renderer.jinjava;
        JinjavaInterpreter interpreter = jinjava.getGlobalConfig().getInterpreterFactory()
                .newInstance(jinjava, new Context(renderer.baseContext, vars), jinjava.getGlobalConfig());
        JinjavaInterpreter.pushCurrent(interpreter);
        String output;
        List<TemplateError> fatal;
        try {
            output = interpreter.render(renderer.tree);
            fatal = fatal(interpreter.getErrorsCopy());
        } finally {
            JinjavaInterpreter.popCurrent();
        }
        if (!fatal.isEmpty()) {
            throw new ChatTemplateException("chat template failed: "
                    + fatal.stream().map(ChatTemplate::describe).collect(Collectors.joining("; ")));
        }
        return output;
    }

    private static List<TemplateError> fatal(List<TemplateError> errors) {
        return errors.stream().filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL).toList();
    }

    /** The template's way to refuse a conversation, e.g. roles that do not alternate. */
    public static String raiseException(String message) {
        throw new ChatTemplateException(message);
    }

    /** Python's {@code datetime.now().strftime(format)} for the directives templates use. */
    public static String strftimeNow(String format) {
        ZonedDateTime now = ZonedDateTime.now();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                out.append(c);
                continue;
            }
            char d = format.charAt(++i);
            String pattern = switch (d) {
                case 'd' -> "dd";
                case 'm' -> "MM";
                case 'Y' -> "yyyy";
                case 'y' -> "yy";
                case 'b' -> "MMM";
                case 'B' -> "MMMM";
                case 'a' -> "EEE";
                case 'A' -> "EEEE";
                case 'H' -> "HH";
                case 'M' -> "mm";
                case 'S' -> "ss";
                default -> null;
            };
            if (pattern == null) {
                out.append(d == '%' ? "%" : "%" + d);
            } else {
                out.append(now.format(DateTimeFormatter.ofPattern(pattern, Locale.ENGLISH)));
            }
        }
        return out.toString();
    }

    /** {@code tojson} with an optional {@code indent}, formatted as Python's json.dumps. */
    private static final class ToJsonFilter implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return PythonJson.dumps(var, args.length > 0 ? Integer.valueOf(args[0]) : null);
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.get("indent");
            if (indent == null && args.length > 0) {
                indent = args[0];
            }
            return PythonJson.dumps(var, indent == null ? null : ((Number) toNumber(indent)).intValue());
        }

        private static Object toNumber(Object v) {
            return v instanceof Number ? v : Long.valueOf(v.toString());
        }
    }
}
